/* File, directory, pipe, process and signal calls in the C library's spelling
 * (openat, newfstatat, getdents64, pipe2, wait4, rt_sigaction, ...): each step prints
 * what it got, and the output must be what the host's Linux prints. Works in a fresh
 * directory under /tmp. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }
static char altstack[16384];
static volatile int on_alt;
static void on_usr2(int sig)
{
    char here;
    on_alt = sig == SIGUSR2 && &here >= altstack && &here < altstack + sizeof altstack;
}
static volatile sig_atomic_t alarms;
static void on_alrm(int sig) { alarms += sig == SIGALRM; }

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void check(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, r);
}

int main(void)
{
    const char *dir = "/tmp/lt-files";
    char path[256];
    snprintf(path, sizeof path, "rm -rf %s", dir);
    system(path);
    check("mkdir", mkdir(dir, 0755));
    check("chdir", chdir(dir));
    char cwd[256];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    check("open", fd >= 0 ? 0 : -1);
    struct iovec iov[2] = {{"hello ", 6}, {"world\n", 6}};
    check("writev", writev(fd, iov, 2));
    check("close", close(fd));
    fd = open("a.txt", O_RDONLY);
    char buf[64] = {0};
    check("pread", pread(fd, buf, 5, 6));
    printf("pread got: %s\n", buf);
    check("lseek", lseek(fd, 0, SEEK_END));
    struct stat st;
    check("fstat", fstat(fd, &st));
    printf("size=%lld regular=%d mode=%o\n", (long long)st.st_size, S_ISREG(st.st_mode),
           st.st_mode & 0777);
    int fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    printf("F_DUPFD_CLOEXEC>=10: %d cloexec=%d\n", fd2 >= 10, fcntl(fd2, F_GETFD) & FD_CLOEXEC);
    close(fd2);
    close(fd);
    check("symlink", symlink("a.txt", "link"));
    ssize_t n = readlink("link", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink: %s\n", buf);
    check("lstat", lstat("link", &st));
    printf("link is symlink: %d\n", S_ISLNK(st.st_mode));
    check("rename", rename("a.txt", "b.txt"));
    check("stat old", stat("a.txt", &st));
    check("mkdir sub", mkdir("sub", 0700));
    check("rmdir nonempty parent", rmdir("."));
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        close(open(name, O_CREAT | O_WRONLY, 0600));
    }
    DIR *d = opendir(".");
    char *names[32];
    int count = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && count < 32)
        names[count++] = strdup(e->d_name);
    closedir(d);
    qsort(names, count, sizeof *names, cmp);
    printf("entries:");
    for (int i = 0; i < count; i++)
        printf(" %s", names[i]);
    printf("\n");
    int p[2];
    check("pipe2", pipe2(p, O_CLOEXEC));
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dprintf(p[1], "child %d\n", getppid() > 0);
        _exit(7);
    }
    close(p[1]);
    memset(buf, 0, sizeof buf);
    check("read pipe", read(p[0], buf, sizeof buf));
    printf("from child: %s", buf);
    int status;
    check("wait4 is child", wait4(pid, &status, 0, NULL) == pid);
    printf("exited=%d code=%d\n", WIFEXITED(status), WEXITSTATUS(status));
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    check("sigaction", sigaction(SIGUSR1, &sa, NULL));
    check("kill self", kill(getpid(), SIGUSR1));
    printf("handler saw: %d\n", got);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    check("sigprocmask", sigprocmask(SIG_BLOCK, &set, &old));
    sigprocmask(SIG_BLOCK, NULL, &old);
    printf("SIGUSR2 blocked: %d SIGUSR1 blocked: %d\n", sigismember(&old, SIGUSR2),
           sigismember(&old, SIGUSR1));
    /* A read interrupted by a handler: EINTR, or made again with SA_RESTART. */
    for (int restart = 0; restart < 2; restart++) {
        struct sigaction sr = {0};
        sr.sa_handler = on_usr1;
        sr.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGUSR1, &sr, NULL);
        int r[2];
        pipe(r);
        pid_t me = getpid();
        pid_t c = fork();
        if (c == 0) {
            struct timespec d = {0, 50 * 1000 * 1000};
            nanosleep(&d, NULL);
            kill(me, SIGUSR1);
            nanosleep(&d, NULL);
            write(r[1], "late", 4);
            _exit(0);
        }
        got = 0;
        memset(buf, 0, sizeof buf);
        long got_n = read(r[0], buf, sizeof buf);
        printf("SA_RESTART=%d: read %ld%s%s, handler %d\n", restart, got_n,
               got_n < 0 ? " " : " ", got_n < 0 ? strerror(errno) : buf, got);
        waitpid(c, NULL, 0);
        close(r[0]);
        close(r[1]);
    }
    /* sigsuspend: a blocked, pending SIGUSR1 is handled while waiting with an empty
     * mask; afterwards the old mask (SIGUSR1 blocked) is back. */
    got = 0;
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    printf("pending before sigsuspend: %d\n", got);
    sigset_t empty;
    sigemptyset(&empty);
    check("sigsuspend", sigsuspend(&empty));
    sigprocmask(SIG_BLOCK, NULL, &old);
    printf("handler saw: %d, SIGUSR1 blocked again: %d\n", got, sigismember(&old, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    /* sigaltstack: a SA_ONSTACK handler runs on the alternate stack. */
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0}, oss;
    check("sigaltstack small", sigaltstack(&(stack_t){.ss_sp = altstack, .ss_size = 100}, NULL));
    check("sigaltstack", sigaltstack(&ss, NULL));
    check("sigaltstack read", sigaltstack(NULL, &oss));
    printf("alt stack size %zu flags %d\n", oss.ss_size, oss.ss_flags);
    struct sigaction sa2 = {0};
    sa2.sa_handler = on_usr2;
    sa2.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa2, NULL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGUSR2);
    printf("handler ran on the alternate stack: %d\n", on_alt);
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    printf("signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct timespec ten_ms = {0, 10 * 1000 * 1000};
    check("nanosleep", nanosleep(&ten_ms, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("slept at least 10 ms: %d\n", ms >= 10);
    /* select: an empty pipe times out, one with data is readable. */
    int q[2];
    pipe(q);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(q[0], &rd);
    struct timeval tv = {0, 20000};
    check("select empty pipe", select(q[0] + 1, &rd, NULL, NULL, &tv));
    write(q[1], "x", 1);
    FD_ZERO(&rd);
    FD_SET(q[0], &rd);
    check("select pipe with data", select(q[0] + 1, &rd, NULL, NULL, NULL));
    printf("read end set: %d\n", FD_ISSET(q[0], &rd) != 0);
    close(q[0]);
    close(q[1]);
    /* An interval timer: SIGALRM every 20 ms, three times. */
    signal(SIGALRM, on_alrm);
    struct itimerval it = {{0, 20000}, {0, 20000}}, cur;
    check("setitimer", setitimer(ITIMER_REAL, &it, NULL));
    check("getitimer", getitimer(ITIMER_REAL, &cur));
    printf("timer armed: %d\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0);
    while (alarms < 3)
        pause();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("alarms: %d\n", alarms >= 3);
    check("alarm none left", alarm(0));
    check("unlink", unlink("link"));
    chdir("/");
    snprintf(path, sizeof path, "rm -rf %s", dir);
    check("system rm", system(path));
    check("stat removed", stat(dir, &st));
    return 0;
}
