/* POSIX threads as musl's libpthread uses the kernel: clone(CLONE_THREAD|...),
 * set_tid_address, futexes, tkill. Everything printed is the same on every run and
 * on Linux (the test compares it with the host's run of this binary). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define N 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread int tls_value = 7;
static __thread char tls_name[16] = "main";

static void *adder(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(id * 10);
}

/* Each thread sees its own __thread copies, initialised from the TLS image. */
static void *tls_worker(void *arg)
{
    long id = (long)arg;
    int fresh = tls_value;
    tls_value = (int)id * 100;
    snprintf(tls_name, sizeof tls_name, "thread%ld", id);
    sched_yield();
    char buf[64];
    snprintf(buf, sizeof buf, "tls %ld: fresh %d now %d %s", id, fresh, tls_value, tls_name);
    return strdup(buf);
}

/* Ping-pong over a condition variable: two threads take turns ROUNDS/100 times. */
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int turn, volleys;

static void *player(void *arg)
{
    int me = (int)(long)arg;
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&pp_lock);
        while (turn != me)
            pthread_cond_wait(&pp_cond, &pp_lock);
        volleys++;
        turn = 1 - me;
        pthread_cond_broadcast(&pp_cond);
        pthread_mutex_unlock(&pp_lock);
    }
    return 0;
}

/* pthread_kill: the signal runs its handler on the target thread. */
static volatile pid_t handled_tid;
static volatile int got_signal;
static void on_usr1(int sig)
{
    handled_tid = (pid_t)syscall(SYS_gettid);
    got_signal = sig;
}

static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int ready;
static volatile pid_t target_tid;

static void *target(void *arg)
{
    (void)arg;
    target_tid = (pid_t)syscall(SYS_gettid);
    pthread_mutex_lock(&ready_lock);
    ready = 1;
    pthread_cond_signal(&ready_cond);
    pthread_mutex_unlock(&ready_lock);
    while (!got_signal)
        sched_yield();
    return 0;
}

static void *ids(void *arg)
{
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    return (void *)(long)((getpid() == (pid_t)(long)arg ? 1 : 0) + (tid != getpid() ? 2 : 0));
}

static void *nothing(void *arg) { return arg; }

/* "threads bench N": the mean cost of pthread_create + pthread_join, N times. */
static int bench(long n)
{
    struct timespec a, b;
    pthread_t t;
    pthread_create(&t, NULL, nothing, NULL); /* warm-up: the first stack is mapped */
    pthread_join(t, NULL);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
    printf("pthread_create+join: %ld rounds, %ld ns each\n", n, ns / n);
    return 0;
}

int main(int argc, char **argv)
{
    pthread_t t[N];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && strcmp(argv[1], "bench") == 0)
        return bench(atol(argv[2]));

    for (long i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, adder, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    long sum = 0;
    for (int i = 0; i < N; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    printf("counter %ld (want %d), returns %ld\n", counter, N * ROUNDS, sum);

    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, tls_worker, (void *)(i + 1));
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("%s\n", (char *)r);
        free(r);
    }
    printf("main tls still %d %s\n", tls_value, tls_name);

    pthread_create(&t[0], NULL, player, (void *)0);
    pthread_create(&t[1], NULL, player, (void *)1);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    printf("ping-pong volleys %d\n", volleys);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_create(&t[0], NULL, target, NULL);
    pthread_mutex_lock(&ready_lock);
    while (!ready)
        pthread_cond_wait(&ready_cond, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
    pthread_kill(t[0], SIGUSR1);
    pthread_join(t[0], NULL);
    printf("pthread_kill: signal %d handled by the target: %s\n", got_signal,
           handled_tid == target_tid ? "yes" : "no");

    void *r;
    pthread_create(&t[0], NULL, ids, (void *)(long)getpid());
    pthread_join(t[0], &r);
    printf("ids: same pid %s, own tid %s; main tid is pid %s\n", (long)r & 1 ? "yes" : "no",
           (long)r & 2 ? "yes" : "no", syscall(SYS_gettid) == getpid() ? "yes" : "no");

    /* tgkill with the wrong process, and a bad clone mixture. */
    long e1 = syscall(SYS_tgkill, getpid() + 100000, getpid(), 0) == -1 ? errno : 0;
    long e2 = syscall(SYS_clone, 0x100 | 0x10000, 0, 0, 0, 0) == -1 ? errno : 0;
    printf("tgkill wrong group: %s; clone(VM|THREAD): %s\n", e1 == ESRCH ? "ESRCH" : "?",
           e2 == EINVAL ? "EINVAL" : "?");
    return 0;
}
