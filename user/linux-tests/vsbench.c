/* lmbench-like micro-benchmarks, one binary for both dinos (its Linux personality,
 * /linux/tests/vsbench) and Linux (as /init of a tiny initramfs): `cargo xtask bench
 * --vs-linux` runs it on each under the same QEMU and `-icount shift=0`.
 *
 * Usage: vsbench [N]. Each row times a loop with clock_gettime(CLOCK_MONOTONIC) and
 * prints `name ns_per_op`; cheap rows run N times, process rows N/10 times (at least
 * 2). Started as process 1 (Linux's /init) it first mounts devtmpfs on /dev and tmpfs
 * on /tmp, and powers the machine off with reboot(2) at the end. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char exe_dir[256];
static int rows;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what)
{
    printf("vsbench: %s failed\n", what);
    fflush(stdout);
    if (getpid() == 1) {
        reboot(RB_POWER_OFF);
        reboot(RB_AUTOBOOT);
    }
    exit(1);
}

static void row(const char *name, double t0, long n)
{
    double ns = (now() - t0) / n;
    printf("%s %.1f\n", name, ns);
    fflush(stdout);
    rows++;
}

static void must_wait(pid_t pid)
{
    int st;
    if (pid < 0)
        die("fork");
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("waitpid");
}

static volatile sig_atomic_t caught;
static void on_usr1(int sig) { caught += sig == SIGUSR1; }

/* One round trip of a byte over two pipes between this process and a child that
 * echoes it: two pipe writes, two reads, two context switches. */
static double pipe_round_trips(long n)
{
    int ab[2], ba[2];
    char c = 'x';
    if (pipe(ab) || pipe(ba))
        die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        for (long i = 0; i < n; i++)
            if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    if (pid < 0)
        die("fork");
    double t0 = now();
    for (long i = 0; i < n; i++)
        if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
            die("pipe round trip");
    double t = now() - t0;
    must_wait(pid);
    close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]);
    return t / n;
}

/* A write and a read of one byte on a pipe within one process: the pipe's own cost,
 * with no switch. */
static double pipe_self(long n)
{
    int p[2];
    char c = 'x';
    if (pipe(p))
        die("pipe");
    double t0 = now();
    for (long i = 0; i < n; i++)
        if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
            die("pipe self");
    double t = now() - t0;
    close(p[0]), close(p[1]);
    return t / n;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    if (n < 1)
        n = 1;
    long heavy = n / 10 < 2 ? 2 : n / 10;

    int init = getpid() == 1;
    if (init) {
        mkdir("/dev", 0755);
        mkdir("/tmp", 01777);
        if (mount("devtmpfs", "/dev", "devtmpfs", 0, 0) && access("/dev/null", F_OK))
            die("mount devtmpfs");
        if (mount("tmpfs", "/tmp", "tmpfs", 0, 0))
            die("mount tmpfs");
    }
    snprintf(exe_dir, sizeof exe_dir, "%s", argv[0]);
    char *slash = strrchr(exe_dir, '/');
    if (slash)
        slash[1] = 0;
    else
        strcpy(exe_dir, "./");
    char null_prog[300];
    snprintf(null_prog, sizeof null_prog, "%svsnull", exe_dir);

    printf("vsbench: begin n=%ld\n", n);
    fflush(stdout);
    double t0;
    char c;

    t0 = now();
    for (long i = 0; i < n; i++)
        getppid();
    row("null_call", t0, n);

    int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
    if (zero < 0 || null < 0)
        die("open /dev/zero, /dev/null");
    t0 = now();
    for (long i = 0; i < n; i++)
        if (read(zero, &c, 1) != 1)
            die("read");
    row("read_1", t0, n);
    t0 = now();
    for (long i = 0; i < n; i++)
        if (write(null, &c, 1) != 1)
            die("write");
    row("write_1", t0, n);
    close(zero), close(null);

    const char *file = "/tmp/vsbench.file";
    int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "data\n", 5) != 5 || close(fd))
        die("create /tmp/vsbench.file");
    struct stat sb;
    t0 = now();
    for (long i = 0; i < n; i++)
        if (stat(file, &sb))
            die("stat");
    row("stat", t0, n);
    t0 = now();
    for (long i = 0; i < n; i++) {
        fd = open(file, O_RDONLY);
        if (fd < 0 || close(fd))
            die("open/close");
    }
    row("open_close", t0, n);
    unlink(file);

    printf("pipe_round_trip %.1f\n", pipe_round_trips(heavy));
    rows++;
    /* lmbench's lat_ctx for two processes: a round trip is two switches plus two
     * pipe transfers; the transfers (timed in one process) are taken off. */
    double rt = pipe_round_trips(heavy), self = pipe_self(heavy);
    double sw = (rt - 2 * self) / 2;
    printf("ctx_switch %.1f\n", sw);
    rows++;
    fflush(stdout);

    t0 = now();
    for (long i = 0; i < heavy; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        must_wait(pid);
    }
    row("fork_exit_wait", t0, heavy);

    t0 = now();
    for (long i = 0; i < heavy; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char *args[] = {null_prog, 0};
            char *env[] = {0};
            execve(null_prog, args, env);
            _exit(127);
        }
        must_wait(pid);
    }
    row("fork_exec_wait", t0, heavy);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, 0))
        die("sigaction");
    caught = 0;
    t0 = now();
    for (long i = 0; i < n; i++)
        kill(getpid(), SIGUSR1);
    if (caught != n)
        die("signal delivery");
    row("signal", t0, n);

    long page = sysconf(_SC_PAGESIZE);
    long pages = heavy * 4;
    char *m = mmap(0, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        die("mmap");
    t0 = now();
    for (long i = 0; i < pages; i++)
        m[i * page] = 1;
    row("page_fault", t0, pages);
    munmap(m, pages * page);

    char name[64];
    t0 = now();
    for (long i = 0; i < heavy; i++) {
        snprintf(name, sizeof name, "/tmp/vsbench.%ld", i);
        fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0 || close(fd) || unlink(name))
            die("create/delete");
    }
    row("create_delete", t0, heavy);

    printf("vsbench: end rows=%d\n", rows + 0);
    fflush(stdout);
    if (init) {
        sync();
        reboot(RB_POWER_OFF);
        reboot(RB_AUTOBOOT);
        die("reboot");
    }
    return 0;
}
