"""Security: SQL only through parameters, PostgreSQL over verified TLS, Kafka SSL/SASL settings
passed through, configuration and credential files refused when others can read them (with a
clear message that never shows the secret), and no identity or contact data in any log line
(at debug level) or, beyond the contact fields the notifiers need, in any event."""
import json
import os
import re
import shutil
import subprocess
import uuid

import pytest

import harness
import sample
from test_faults_more import admin, dbname

NIK_RE = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")


def pg_datadir(env):
    with open(os.path.join(env.stack.run_dir, "pgdata.path")) as f:
        return f.read().strip()


def pg_log(env):
    with open(os.path.join(pg_datadir(env), "postgres.log"), errors="replace") as f:
        return f.read()


def url_with(env, **parts):
    """env.pg_url with another user, password, host or query."""
    base = env.pg_url  # postgresql://postgres@127.0.0.1:PORT/DB
    m = re.match(r"postgresql://([^@]+)@([^:/]+):(\d+)/(\w+)$", base)
    assert m, base
    user, host, port, db = m.groups()
    user = parts.get("user", user)
    pw = parts.get("password")
    host = parts.get("host", host)
    q = parts.get("query")
    return "postgresql://%s%s@%s:%s/%s%s" % (user, ":" + pw if pw else "", host, port, db,
                                             "?" + q if q else "")


def daemon_on(env, url, **kw):
    """A daemon (not started) on another PostgreSQL URL; stopped by the env fixture."""
    if env.broker is None:
        env.start_broker()
    kw.setdefault("name", "ossd%d" % len(env.daemons))
    d = harness.Daemon(env.workdir, url, env.broker.bootstrap, **kw)
    env.daemons.append(d)
    return d


def unstarted(env, **kw):
    """A daemon whose config is written but that a test runs itself (or never): its log file
    exists, so the fixture can show it should the test fail."""
    d = env.daemon(start=False, **kw)
    open(d.log_path, "a").close()
    return d


def ossd(*args, env=None, timeout=60):
    return subprocess.run([harness.OSSD, *args], capture_output=True, text=True,
                          timeout=timeout, env=env or dict(os.environ))


def fresh_docs(n, prefix, seed=77):
    gen = sample.Generator(seed=seed, invalid_ratio=0.0, repeat_ratio=0.0, prefix=prefix)
    return [gen.valid() for _ in range(n)]


# ---- SQL only through parameters ----------------------------------------------------------

def test_sql_only_through_parameters(env):
    """With log_statement = all on the test database, no statement PostgreSQL receives from
    ossd carries a byte of the submissions' text: values travel as parameters or COPY data
    (never logged). COPY's own special sequences (\\., \\N, tabs, CR/LF, backslashes) in
    names go through byte-exact; every table is intact."""
    marker = "sqli-" + uuid.uuid4().hex[:10]
    payloads = ["%s'; DROP TABLE submissions; --" % marker,
                "%s\\.\n" % marker,
                "%s\r\n\\.\r\n" % marker,
                "%s\\N\t\\N" % marker,
                "%s $1 $$ E'\\x00' %%s ' || pg_sleep(5) || '" % marker,
                "%s\\\\server\\share\\" % marker]
    docs = fresh_docs(len(payloads), "sqlp")
    for d, p in zip(docs, payloads):
        d["applicant"]["name"] = p
        d["business"]["name"] = p
        d["x_note"] = p  # an unknown field, ignored
    dead = sample.encode(docs[0])[:-1] + (',"x":"%s\\u0000"}' % marker).encode()
    admin(env, "ALTER DATABASE %s SET log_statement = 'all'" % dbname(env))
    try:
        d = env.daemon(extra_ossd="outbox_retention_s = 3600")
        col = env.collector(harness.TOPICS[1])
        env.produce([(b"k%d" % i, sample.encode(x)) for i, x in enumerate(docs)] +
                    [(b"dead", dead)])
        env.wait_decided(len(docs))
        harness.wait_for(lambda: env.sql("SELECT count(*) FROM dead_letters")[0][0] == 1, 60,
                         "the dead letter")
        col.wait(lambda m: len(m) >= len(docs), 60, "the events")
    finally:
        admin(env, "ALTER DATABASE %s RESET log_statement" % dbname(env))
    log = pg_log(env)
    assert "statement: " in log, "log_statement did not take effect"
    assert marker not in log, "submission text reached PostgreSQL as SQL text"
    # byte-exact: the events, the outbox rows, the dead letter
    names = {json.loads(m.value())["data"]["applicant"]["name"] for m in col.messages}
    assert names == set(payloads)
    kept = {bytes(r[0]) for r in env.sql("SELECT msg_value FROM outbox WHERE topic = %s",
                                         harness.TOPICS[1])}
    assert kept == {bytes(m.value()) for m in col.messages}
    assert bytes(env.sql("SELECT msg_value FROM dead_letters")[0][0]) == dead
    tables = {r[0] for r in env.sql("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"submissions", "business_actors", "activities", "outbox", "consumer_offsets",
            "dead_letters"} <= tables
    assert env.sql("SELECT count(*) FROM submissions")[0][0] == len(docs)
    assert d.alive()


# ---- PostgreSQL over TLS ------------------------------------------------------------------

@pytest.fixture
def pgtls(env):
    """deploy/pgtls.sh on for the session's cluster; off again afterwards."""
    script = os.path.join(harness.REPO, "deploy", "pgtls.sh")
    r = subprocess.run([script, "on"], env=env.stack.env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    tls = os.path.join(env.stack.run_dir, "pgtls")
    yield tls
    subprocess.run([script, "off"], env=env.stack.env, capture_output=True, timeout=60)


def ossd_sessions(env):
    return admin(env, "SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a "
                      "USING (pid) WHERE a.datname = %s AND a.application_name = 'ossd'",
                 dbname(env))


def test_postgres_over_tls_verify_full(env, pgtls):
    ca = os.path.join(pgtls, "ca.crt")
    docs = fresh_docs(50, "tls")
    for host in ("localhost", "127.0.0.1"):  # a DNS name and an IP address in the SAN
        for d in env.daemons:
            d.stop()
        url = url_with(env, host=host, query="sslmode=verify-full&sslrootcert=" + ca)
        d = daemon_on(env, url, name="tls-" + host)
        d.start()
        part = docs[:25] if host == "localhost" else docs[25:]
        env.produce([(b"k", sample.encode(x)) for x in part])
        env.wait_decided(25 if host == "localhost" else 50)
        rows = harness.wait_for(lambda: ossd_sessions(env) or None, 30, "ossd's sessions")
        assert len(rows) >= 2, rows  # the writer's and the control connection
        assert all(r[0] for r in rows), "an ossd session without TLS: %s" % rows
        assert all(r[1] in ("TLSv1.2", "TLSv1.3") for r in rows), rows
        assert d.alive()
    assert d.stop() == 0


def test_postgres_tls_refuses_an_unknown_ca_or_a_wrong_host(env, pgtls, tmp_path):
    other = tmp_path / "other-ca"
    other.mkdir()
    r = subprocess.run(["openssl", "req", "-x509", "-new", "-nodes", "-days", "1", "-newkey",
                        "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-subj", "/CN=other CA",
                        "-keyout", str(other / "ca.key"), "-out", str(other / "ca.crt")],
                       capture_output=True)
    assert r.returncode == 0
    ca = os.path.join(pgtls, "ca.crt")
    port = env.pg_url.rsplit(":", 1)[1].split("/")[0]
    cases = [
        (url_with(env, host="localhost",
                  query="sslmode=verify-full&sslrootcert=%s" % (other / "ca.crt")),
         "certificate verify failed"),
        ("host=wrong.example hostaddr=127.0.0.1 port=%s user=postgres dbname=%s "
         "sslmode=verify-full sslrootcert=%s" % (port, dbname(env), ca),
         "does not match host name"),
        # Two addresses, as localhost is on a stock Debian (::1, then 127.0.0.1): libpq reports
        # each on a line of its own, and the cause is on the second one.
        ("host=127.0.0.1,127.0.0.1 port=%d,%s user=postgres dbname=%s sslmode=verify-full "
         "sslrootcert=%s" % (harness.free_port(), port, dbname(env), other / "ca.crt"),
         "certificate verify failed"),
    ]
    for i, (url, why) in enumerate(cases):
        d = daemon_on(env, url, name="badtls%d" % i)
        d.start(wait=False)
        harness.wait_for(lambda: why in d.log_since_start(), 30, "the refusal: " + why)
        assert "started" not in d.log_since_start()
        assert d.alive(), "ossd keeps retrying (the server may be fixed)"
        assert not ossd_sessions(env)
        assert d.stop() == 0


# ---- Kafka SSL and SASL settings ------------------------------------------------------------

KAFKA_SECURE = """\
security.protocol = SASL_SSL
sasl.mechanisms = SCRAM-SHA-512
sasl.username = ossd
sasl.password = {secret}
ssl.ca.location = {ca}
ssl.endpoint.identification.algorithm = https
"""


def write_conf(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def readable_password_file(tmp_path, pw):
    """A password file others may read (mode 0644), which ossd must refuse."""
    pwfile = tmp_path / "pgpassword"
    pwfile.write_text(pw + "\n")
    os.chmod(pwfile, 0o644)
    return pwfile


def add_password_file(d, url, pwfile):
    """[postgres] password_file = pwfile in d's config, after its url line."""
    write_conf(d.conf, open(d.conf).read().replace(
        "url = %s\n" % url, "url = %s\npassword_file = %s\n" % (url, pwfile)))


def test_kafka_ssl_and_sasl_settings_pass_through(env, tmp_path):
    secret = "kafka-" + uuid.uuid4().hex
    ca = "/etc/ssl/certs/ca-certificates.crt"
    d = unstarted(env, log_level="debug",
                   extra_kafka=KAFKA_SECURE.format(secret=secret, ca=ca) +
                   "debug = security,broker\n")
    r = ossd("--config", d.conf, "--check-config")
    assert r.returncode == 0, r.stderr
    # librdkafka refuses a bad value, with file:line
    bad = tmp_path / "bad.conf"
    write_conf(bad, open(d.conf).read().replace("security.protocol = SASL_SSL",
                                                "security.protocol = SASL_TLS"))
    r = ossd("--config", str(bad), "--check-config")
    assert r.returncode != 0
    assert re.search(r"bad\.conf:\d+: .*security\.protocol", r.stderr), r.stderr
    # at run time the settings reach librdkafka: against the plaintext mock broker the TLS
    # handshake fails, nothing is consumed, and the password shows in no log line
    d.start(wait=False)
    env.produce([(b"k", sample.encode(fresh_docs(1, "ksec")[0]))])
    harness.wait_for(lambda: re.search(r"sasl_ssl://127\.0\.0\.1:\d+.*SSL_HANDSHAKE",
                                       d.log_since_start()), 60,
                     "a SASL_SSL connection attempt to the broker")
    harness.wait_for(lambda: re.search(r"SSL handshake failed|SSL transport error|"
                                       r"Disconnected", d.log_since_start()), 60,
                     "the TLS handshake to fail against the plaintext broker")
    assert env.sql("SELECT count(*) FROM submissions")[0][0] == 0
    assert secret not in d.log()
    assert d.alive()


def test_world_readable_config_with_a_kafka_secret_is_refused(env):
    d = unstarted(env, extra_kafka="sasl.username = ossd\nsasl.password = hunter2\n")
    os.chmod(d.conf, 0o644)
    r = ossd("--config", d.conf, "--check-config")
    assert r.returncode != 0
    assert "readable by everyone" in r.stderr and "hunter2" not in r.stderr


@pytest.mark.parametrize("section, line, named", [
    # every [kafka*] key named for a secret, not only the four listed before
    ("kafka", "sasl.oauthbearer.config = principal=ossd secret=%s", "[kafka] sasl.oauthbearer.config"),
    ("kafka.producer", "ssl.key.pem = %s", "[kafka.producer] ssl.key.pem"),
    ("kafka.consumer", "ssl.keystore.password = %s", "[kafka.consumer] ssl.keystore.password"),
    # [handler.*]: a key named for a secret, or a value carrying a password
    ("handler.localreg", "api_token = %s", "[handler.localreg] api_token"),
    ("handler.localreg", "apiKey = %s", "[handler.localreg] apiKey"),
    ("handler.localreg", "endpoint = https://ossd:%s@registry.example/api",
     "[handler.localreg] endpoint"),
    ("handler.localreg", "dsn = host=db user=ossd password=%s", "[handler.localreg] dsn"),
])
def test_world_readable_config_with_any_secret_is_refused(env, section, line, named):
    secret = "s3cr3t-" + uuid.uuid4().hex[:10]
    d = unstarted(env)
    text = open(d.conf).read() + "\n[%s]\n%s\n" % (section, line % secret)
    write_conf(d.conf, text, 0o644)
    r = ossd("--config", d.conf, "--check-config")
    assert r.returncode == 1, r.stderr
    assert "readable by everyone" in r.stderr and named in r.stderr, r.stderr
    assert secret not in r.stderr
    r = subprocess.run([harness.OSSCTL, "--config", d.conf, "status"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "readable by everyone" in r.stderr and secret not in r.stderr


def test_world_readable_config_without_secrets_is_accepted(env):
    """File locations and ordinary handler settings are no secrets: whole words count, so
    a Kerberos keytab (a file) is not a key and an authority is not an auth."""
    d = unstarted(env, handlers="identity, region, kbli, activity, scale, risk, localreg")
    text = open(d.conf).read() + (
        "\n[kafka.producer]\nssl.key.location = /etc/ossd/client.key\n"
        "ssl.ca.location = /etc/ossd/ca.pem\n"
        "sasl.kerberos.keytab = /etc/ossd/ossd.keytab\n"
        "[handler.localreg]\nrules = 47221@33.74\nauthority = 33.74\n")
    write_conf(d.conf, text, 0o644)
    r = ossd("--config", d.conf, "--check-config")
    assert "readable by everyone" not in r.stderr, r.stderr


# ---- configuration and credential files ----------------------------------------------------

def test_world_readable_config_with_a_password_is_refused(env):
    pw = "pw-" + uuid.uuid4().hex[:12]
    d = unstarted(env)
    text = open(d.conf).read().replace(env.pg_url, url_with(env, password=pw))
    write_conf(d.conf, text, 0o644)
    for args in (["--check-config"], []):
        r = ossd("--config", d.conf, *args, "--log-target", "stderr")
        assert r.returncode == 1, (args, r.returncode, r.stderr)
        msg = r.stderr.strip()
        assert "readable by everyone" in msg and d.conf in msg, msg
        assert "chmod o-r" in msg and "password_file" in msg, "the message says what to do"
        assert pw not in msg, "the refusal shows the password"
        assert msg.count("\n") == 0, "one clear line"
    # the packaged mode (0640 root:ossd) and a world-readable file without a password are fine
    os.chmod(d.conf, 0o640)
    assert ossd("--config", d.conf, "--check-config").returncode == 0
    write_conf(d.conf, text.replace(url_with(env, password=pw), env.pg_url), 0o644)
    assert ossd("--config", d.conf, "--check-config").returncode == 0


@pytest.fixture
def pw_role(env):
    """A login role that must give its password (scram) on this cluster; removed afterwards."""
    role = "ossd_pw_" + uuid.uuid4().hex[:8]
    pw = "S3cr3t-" + uuid.uuid4().hex
    hba = os.path.join(pg_datadir(env), "pg_hba.conf")
    with open(hba) as f:
        orig = f.read()
    admin(env, "CREATE ROLE %s LOGIN SUPERUSER PASSWORD '%s'" % (role, pw))
    with open(hba, "w") as f:
        f.write("host all %s 127.0.0.1/32 scram-sha-256\n" % role + orig)
    admin(env, "SELECT pg_reload_conf()")
    yield role, pw
    with open(hba, "w") as f:
        f.write(orig)
    admin(env, "SELECT pg_reload_conf()")
    admin(env, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", role)
    admin(env, "DROP ROLE IF EXISTS %s" % role)


def test_password_file_readable_by_others_is_refused(env, pw_role, tmp_path):
    role, pw = pw_role
    pwfile = readable_password_file(tmp_path, pw)
    url = url_with(env, user=role)
    d = daemon_on(env, url, name="pwfile")
    add_password_file(d, url, pwfile)
    d.start(wait=False)
    harness.wait_for(lambda: "readable by others" in d.log_since_start(), 30, "the refusal")
    line = [x for x in d.log_since_start().splitlines() if "readable by others" in x][0]
    assert str(pwfile) in line and "chmod 600" in line, line
    assert pw not in d.log()
    assert "started" not in d.log_since_start()
    assert not admin(env, "SELECT 1 FROM pg_stat_activity WHERE usename = %s", role)
    # fixed by the operator: ossd, still retrying, starts by itself
    os.chmod(pwfile, 0o600)
    harness.wait_for(lambda: "started" in d.log_since_start(), 30, "ossd to start")
    env.produce([(b"k", sample.encode(fresh_docs(1, "pwf")[0]))])
    env.wait_decided(1)
    assert pw not in d.log()
    assert d.stop() == 0


def test_password_file_from_credentials_directory(env, pw_role, tmp_path):
    """systemd LoadCredential=: a relative name is read from $CREDENTIALS_DIRECTORY (whose
    modes systemd manages); a wrong password fails authentication without showing it."""
    role, pw = pw_role
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "pgpassword").write_text(pw + "\n")
    os.chmod(creds / "pgpassword", 0o444)
    url = url_with(env, user=role)
    d = daemon_on(env, url, name="creds")
    text = open(d.conf).read().replace("url = %s\n" % url,
                                       "url = %s\npassword_file = pgpassword\n" % url)
    write_conf(d.conf, text)
    envv = dict(os.environ, CREDENTIALS_DIRECTORY=str(creds))
    d.start(env=envv)
    env.produce([(b"k", sample.encode(fresh_docs(1, "cred")[0]))])
    env.wait_decided(1)
    assert admin(env, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", role)[0][0] >= 2
    assert d.stop() == 0
    wrong = "wrong-" + uuid.uuid4().hex
    (creds / "pgpassword").write_text(wrong + "\n")
    d.start(wait=False, env=envv)
    harness.wait_for(lambda: "password authentication failed" in d.log_since_start(), 30,
                     "the authentication failure")
    assert wrong not in d.log() and pw not in d.log()
    assert d.stop() == 0


def test_password_file_outside_credentials_directory_is_checked(env, pw_role, tmp_path):
    role, pw = pw_role
    creds = tmp_path / "creds"
    creds.mkdir()
    pwfile = readable_password_file(tmp_path, pw)  # absolute, outside the credentials dir
    url = url_with(env, user=role)
    d = daemon_on(env, url, name="outside")
    add_password_file(d, url, pwfile)
    d.start(wait=False, env=dict(os.environ, CREDENTIALS_DIRECTORY=str(creds)))
    harness.wait_for(lambda: "readable by others" in d.log_since_start() or
                     "started" in d.log_since_start(), 30, "a refusal or a start")
    assert "readable by others" in d.log_since_start()


def test_check_config_checks_the_password_file(env, tmp_path):
    pwfile = readable_password_file(tmp_path, "x")
    d = unstarted(env)
    add_password_file(d, env.pg_url, pwfile)
    r = ossd("--config", d.conf, "--check-config")
    assert r.returncode != 0 and "readable by others" in r.stderr


# ---- no identity or contact data in logs; events carry only the contact fields -------------

def test_no_pii_in_logs_at_debug_level_nor_identity_numbers_in_events(env):
    gen = sample.Generator(seed=91, invalid_ratio=0.3, repeat_ratio=0.2, prefix="pii")
    docs = []
    for i in range(300):
        s = gen.next()
        a = s["applicant"]
        a["name"] = "Nama Rahasia %04d" % i
        a["phone"] = "0812-7777-%04d" % i
        if i % 2:
            a["email"] = "rahasia.%04d@contoh.id" % i
        if i % 5 == 0:
            a["type"] = "01"
            a["npwp"] = "0%015d" % (990000000000000 + i)
        docs.append(s)
    msgs = [(sample.key_of(s), sample.encode(s)) for s in docs]
    nik = docs[0]["applicant"]["nik"]
    phone = docs[0]["applicant"]["phone"]
    # dead letters whose parser error would sit right next to identity data
    dead = [
        b'{"schema":"oss.submission.v1","submission_id":"pii-d1","applicant":{"nik":"' +
        nik.encode(),
        b'{"schema":"oss.submission.v1","submission_id":"pii-d2","applicant":{"nik":"' +
        nik.encode() + b'\xff"}}',
        b'{"schema":"oss.submission.v1","submission_id":"pii-d3","applicant":{"nik":"' +
        nik.encode() + b'","nik":"' + nik.encode() + b'"}}',
        b'{"schema":"oss.submission.v1","submission_id":"pii-d4","applicant":{"phone":"' +
        phone.encode() + b'\\u0000"}}',
        b'{"schema":"oss.submission.v1","submission_id":"pii-d5","applicant":{"nik":' +
        nik.encode() + b'00000000000000000000}}',
        b'{"schema":"oss.submission.v1","submission_id":"pii-d6","x":"' + nik.encode() + b'\t"}',
        b'{"schema":"' + nik.encode() + b'","submission_id":"pii-d7"}',
        b'{"schema":"oss.submission.v1","submission_id":"' + nik.encode() + b'!"}',
    ]
    conflict = dict(docs[1])
    conflict["channel"] = "counter" if docs[1]["channel"] != "counter" else "online"
    d = env.daemon(log_level="debug", extra_kafka="debug = msg\n")
    events = env.collector(harness.TOPICS[1])
    dlq = env.collector(harness.TOPICS[2])
    env.produce(msgs + [(b"d%d" % i, v) for i, v in enumerate(dead)] +
                [(sample.key_of(docs[1]), sample.encode(conflict))])
    env.wait_decided(len(docs))
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM dead_letters")[0][0] >= len(dead) + 1,
                     60, "the dead letters")
    events.wait(lambda m: len({json.loads(x.value())["data"]["submission_id"] for x in m})
                >= len(docs), 60, "the events")
    dlq.wait(lambda m: len(m) >= len(dead) + 1, 60, "the dead letters on the topic")
    assert d.stop() == 0
    log = d.log()
    assert "debug" in log and "issued" in log and "dead letter" in log

    secrets = set()
    for s in docs:
        a = s["applicant"]
        secrets.update(v for k, v in a.items() if k in ("nik", "npwp", "phone", "email", "name"))
    leaked = sorted(x for x in secrets if x in log)
    assert not leaked, "in the log: %s" % leaked[:5]
    assert not NIK_RE.search(log), NIK_RE.search(log)

    by_sid = {s["submission_id"]: s["applicant"] for s in docs}
    for m in events.messages:
        raw = m.value().decode()
        ev = json.loads(raw)
        a = by_sid[ev["data"]["submission_id"]]
        assert a["nik"] not in raw and not NIK_RE.search(raw)
        if "npwp" in a:
            assert a["npwp"] not in raw
        app = ev["data"]["applicant"]
        # the notifiers get the contact fields
        assert app.get("phone") == a["phone"]
        assert app.get("email") == a.get("email")
        if "nik_masked" in app:
            assert app["nik_masked"] == a["nik"][:4] + "*" * 12
    for m in dlq.messages:
        for k, v in m.headers():
            assert not NIK_RE.search(v.decode(errors="replace")), (k, v)
            assert phone.encode() not in v
