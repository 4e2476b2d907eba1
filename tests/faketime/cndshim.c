/* cndshim: an LD_PRELOAD companion of libfaketime for the tests that run ossd in the future
 * (tests/e2e/test_deemed_approval.py). libfaketime 0.9 shifts clock_gettime and
 * pthread_cond_timedwait but not C11 cnd_timedwait, which librdkafka's threads wait with: a
 * deadline computed on the faked clock (40 days ahead) was waited for on the real one, and a
 * faked ossd hung in rd_kafka_destroy. This cnd_timedwait turns the faked absolute deadline
 * into a relative wait (measured on the faked clock, so a faked rate still applies to its
 * length) and waits for it on the real monotonic clock, which no preload library sees: the
 * clock_gettime system call, and pthread_cond_clockwait (glibc >= 2.30), which libfaketime
 * does not wrap. Test use only; never installed. */
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

int cnd_timedwait(cnd_t *restrict cond, mtx_t *restrict mtx, const struct timespec *restrict ts)
{
    struct timespec faked, real, until;
    long long left_ns;
    int rc;

    clock_gettime(CLOCK_REALTIME, &faked); /* libfaketime's: the clock ts was computed on */
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &real);
    left_ns = (long long)(ts->tv_sec - faked.tv_sec) * 1000000000LL + (ts->tv_nsec - faked.tv_nsec);
    if (left_ns < 0)
        left_ns = 0;
    until.tv_sec = real.tv_sec + (time_t)(left_ns / 1000000000LL);
    until.tv_nsec = real.tv_nsec + (long)(left_ns % 1000000000LL);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    /* glibc's cnd_t and mtx_t are its pthread_cond_t and pthread_mutex_t */
    rc = pthread_cond_clockwait((pthread_cond_t *)cond, (pthread_mutex_t *)mtx, CLOCK_MONOTONIC,
                                &until);
    return rc == 0 ? thrd_success : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}
