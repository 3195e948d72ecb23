/* Absurd arguments to Linux system calls, made with syscall() so that the C library
 * checks nothing: bad pointers (null, unmapped, kernel half, non-canonical), huge
 * lengths and counts, bad descriptors and numbers. Each line is the errno the kernel
 * gave; the output must be what the host's Linux gives, and the kernel must survive. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KERNEL ((void *)0xffff800000001000UL)
#define NONCANON ((void *)0x0000800000000000UL)
#define UNMAPPED ((void *)0x10000UL)

/* The symbolic name of an errno value (strerror's text differs between C libraries). */
static const char *name(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: return "other";
    }
}

static void show(const char *what, long r)
{
    if (r == -1)
        printf("%-34s -1 %s\n", what, name(errno));
    else
        printf("%-34s %ld\n", what, r);
}

#define T(what, ...) show(what, syscall(__VA_ARGS__))

int main(void)
{
    char buf[16];
    int fds[2];
    T("read into kernel memory", SYS_read, 0, KERNEL, 8);
    T("write from unmapped", SYS_write, 1, UNMAPPED, 8);
    T("write from non-canonical", SYS_write, 1, NONCANON, 8);
    T("read bad fd", SYS_read, 999, buf, 8);
    T("write huge length from stack", SYS_write, -1, buf, (size_t)-1);
    T("open null path", SYS_open, NULL, 0);
    T("open kernel path", SYS_open, KERNEL, 0);
    T("openat bad dirfd relative", SYS_openat, 12345, "x", 0);
    T("stat unmapped buffer", SYS_stat, "/", UNMAPPED);
    T("fstat bad fd", SYS_fstat, -5, buf);
    T("getdents64 unmapped", SYS_getdents64, 0, UNMAPPED, 4096);
    T("readv huge count", SYS_readv, 0, buf, 100000);
    T("writev unmapped iovec", SYS_writev, 1, UNMAPPED, 2);
    T("pipe into kernel", SYS_pipe, KERNEL);
    T("pipe2 bad flags", SYS_pipe2, fds, 0x12345678);
    T("rt_sigaction bad signal", SYS_rt_sigaction, 0, NULL, NULL, 8);
    T("rt_sigaction SIGKILL", SYS_rt_sigaction, SIGKILL, buf, NULL, 8);
    T("rt_sigaction bad size", SYS_rt_sigaction, SIGUSR1, NULL, NULL, 3);
    T("rt_sigprocmask unmapped", SYS_rt_sigprocmask, SIG_BLOCK, UNMAPPED, NULL, 8);
    T("kill bad signal", SYS_kill, getpid(), 1000);
    T("kill no such pid", SYS_kill, 999999, 0);
    T("clock_gettime bad clock", SYS_clock_gettime, 12345, buf);
    T("clock_gettime unmapped", SYS_clock_gettime, 0, UNMAPPED);
    T("uname into kernel", SYS_uname, KERNEL);
    T("nanosleep unmapped", SYS_nanosleep, UNMAPPED, NULL);
    T("mmap zero length", SYS_mmap, NULL, 0, 3, 0x22, -1, 0);
    T("munmap unaligned", SYS_munmap, (void *)0x1001, 4096);
    T("execve null path", SYS_execve, NULL, NULL, NULL);
    T("execve unmapped argv", SYS_execve, "/etc/passwd", UNMAPPED, NULL);
    T("chdir to a file", SYS_chdir, "/etc/passwd");
    T("close bad fd", SYS_close, -1);
    T("dup2 bad new fd", SYS_dup2, 0, -1);
    T("fcntl bad command", SYS_fcntl, 0, 99999);
    T("wait4 no children", SYS_wait4, -1, NULL, 0, NULL);
    T("arch_prctl kernel fs", SYS_arch_prctl, 0x1002, KERNEL);
    T("arch_prctl bad code", SYS_arch_prctl, 0x9999, buf);
    T("getcwd zero size", SYS_getcwd, buf, 0);
    T("getrandom unmapped", SYS_getrandom, UNMAPPED, 16, 0);
    T("ioctl TCGETS on a pipe", SYS_pipe, fds);
    T("  then", SYS_ioctl, fds[0], 0x5401, buf);
    /* Timeouts whose seconds do not fit in nanoseconds: "forever", not an overflow. */
    {
        long huge[2] = {0x7fffffffffffffffL, 999999};
        char fdset[128] = {0};
        int q[2];
        pipe(q);
        write(q[1], "x", 1);
        fdset[q[0] / 8] |= 1 << (q[0] % 8);
        T("select huge timeout, data ready", SYS_select, q[0] + 1, fdset, NULL, NULL, huge);
        huge[1] = 999999999;
        T("pselect6 huge timeout, data ready", SYS_pselect6, q[0] + 1, fdset, NULL, NULL, huge, NULL);
        T("ppoll huge timeout, data ready", SYS_ppoll, (long[]){q[0] | (1L << 32)}, 1, huge, NULL, 8);
        close(q[0]);
        close(q[1]);
    }
    T("unknown call 400", 400);
    T("unknown call 100000", 100000);
    printf("still alive\n");
    return 0;
}
