/* exit_group from one thread while others sleep in the kernel: one in read(2) on a
 * pipe nobody writes, one in a futex wait (pthread_cond_wait), one in nanosleep.
 * The whole process ends with the status the thread gave; "not reached" never prints.
 * "threadexit block": the threads block and so does main, until a kill -9.
 * "threadexit stack": a thread starts on a bad stack and the process dies of SIGSEGV. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;

static void say(const char *s) { write(1, s, strlen(s)); }

static void *reader(void *a)
{
    char b;
    (void)a;
    read(fds[0], &b, 1);
    say("reader: not reached\n");
    return 0;
}

static void *waiter(void *a)
{
    (void)a;
    pthread_mutex_lock(&m);
    pthread_cond_wait(&c, &m);
    say("waiter: not reached\n");
    return 0;
}

static void *sleeper(void *a)
{
    (void)a;
    sleep(100);
    say("sleeper: not reached\n");
    return 0;
}

static void *ender(void *a)
{
    (void)a;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, 0);
    say("ender: exit(5)\n");
    exit(5);
}

int main(int argc, char **argv)
{
    pthread_t t;
    if (argc > 1 && strcmp(argv[1], "block") == 0) {
        pipe(fds);
        pthread_create(&t, 0, reader, 0);
        pthread_create(&t, 0, waiter, 0);
        pthread_create(&t, 0, sleeper, 0);
        say("blocked\n");
        pthread_join(t, 0);
        say("main: not reached\n");
        return 0;
    }
    if (argc > 1) {
        /* A thread whose stack pointer is nowhere: its first instruction that
         * touches the stack faults, and the fault kills the whole process. */
        say("bad stack: spawning\n");
        long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                     CLONE_SYSVSEM;
        long r = syscall(SYS_clone, flags, (void *)0x10, 0, 0, 0);
        if (r == 0)
            for (;;) ; /* not reached: the child returns onto address 0x10 */
        pause();
        say("bad stack: not reached\n");
        return 0;
    }
    pipe(fds);
    pthread_create(&t, 0, reader, 0);
    pthread_create(&t, 0, waiter, 0);
    pthread_create(&t, 0, sleeper, 0);
    pthread_create(&t, 0, ender, 0);
    say("main: joining the reader\n");
    pthread_join(t, 0);
    say("main: not reached\n");
    return 0;
}
