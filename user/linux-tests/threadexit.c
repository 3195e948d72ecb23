/* exit_group from one thread while others sleep in the kernel: one in read(2) on a
 * pipe nobody writes, one in a futex wait (pthread_cond_wait), one in nanosleep.
 * The whole process ends with the status the thread gave; "not reached" never prints.
 * "threadexit block": the threads block and so does main, until a kill -9.
 * "threadexit stack": a thread starts on a bad stack and the process dies of SIGSEGV.
 * "threadexit exec": a second thread execs this program while another blocks in read;
 * the new program has one thread, the same pid, and its tid is the pid.
 * "threadexit fork": a second thread forks: the child has one thread. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

/* Threads: line of /proc/self/status. */
static int threads_now(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    int n = -1;
    if (!f)
        return -1;
    while (fgets(buf, sizeof buf, f))
        if (strncmp(buf, "Threads:", 8) == 0)
            n = atoi(buf + 8);
    fclose(f);
    return n;
}

static char **args;

static void *execer(void *a)
{
    char pid[16];
    (void)a;
    snprintf(pid, sizeof pid, "%d", getpid());
    say("execer: exec\n");
    execl(args[0], args[0], "execd", pid, (char *)0);
    say("execer: exec failed\n");
    return 0;
}

static void *forker(void *a)
{
    (void)a;
    pid_t c = fork();
    if (c == 0) {
        printf("child: threads %d, tid is pid %s\n", threads_now(),
               syscall(SYS_gettid) == getpid() ? "yes" : "no");
        fflush(stdout);
        _exit(7);
    }
    int st;
    waitpid(c, &st, 0);
    printf("forker: child exited %d; parent threads %d\n", WEXITSTATUS(st), threads_now());
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
    args = argv;
    if (argc > 2 && strcmp(argv[1], "execd") == 0) {
        printf("execd: same pid %s, tid is pid %s, threads %d\n",
               atoi(argv[2]) == getpid() ? "yes" : "no",
               syscall(SYS_gettid) == getpid() ? "yes" : "no", threads_now());
        return 3;
    }
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        pipe(fds);
        pthread_create(&t, 0, reader, 0);
        pthread_create(&t, 0, execer, 0);
        pthread_join(t, 0);
        say("main: not reached\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "fork") == 0) {
        pthread_create(&t, 0, sleeper, 0);
        pthread_create(&t, 0, forker, 0);
        pthread_join(t, 0);
        printf("main: joined the forker\n");
        return 0;
    }
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
