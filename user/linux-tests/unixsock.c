/* AF_UNIX through the Linux personality (docs/network.md): socketpair, a named
 * listener and its socket node, SCM_RIGHTS, SCM_CREDENTIALS, SO_PEERCRED, the
 * errors of connecting to a closed or removed name, EPIPE and ECONNRESET. Prints
 * what it sees; the test compares with the same program on the host's Linux.
 * Pids differ between the two systems, so it prints whether they match its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
    switch (e) {
    case 0: return "ok";
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ENOTCONN: return "ENOTCONN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EISCONN: return "EISCONN";
    case EFAULT: return "EFAULT";
    case EMSGSIZE: return "EMSGSIZE";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: return "other";
    }
}

static int addr(struct sockaddr_un *a, const char *path, int abstract) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (abstract) {
        memcpy(a->sun_path + 1, path, strlen(path));
        return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
    }
    strcpy(a->sun_path, path);
    return sizeof *a;
}

static int try_connect(const char *path, int abstract) {
    struct sockaddr_un a;
    int len = addr(&a, path, abstract);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *)&a, len);
    int e = r < 0 ? errno : 0;
    close(s);
    return e;
}

static void pair_test(void) {
    int sv[2];
    char buf[64];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        printf("socketpair: %s\n", en(errno));
        return;
    }
    write(sv[0], "abc", 3);
    int n = read(sv[1], buf, sizeof buf);
    printf("pair read %d %.*s\n", n, n, buf);
    struct ucred c;
    socklen_t cl = sizeof c;
    getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &c, &cl);
    printf("pair peercred len %d pid %s uid %d\n", (int)cl, c.pid == getpid() ? "mine" : "other",
           c.uid == getuid());
    /* SCM_RIGHTS: a pipe's read end travels; the receiver reads through it. */
    int p[2];
    pipe(p);
    write(p[1], "through the pipe", 16);
    close(p[1]);
    struct msghdr m = {0};
    struct iovec iov = {.iov_base = "x", .iov_len = 1};
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.b;
    m.msg_controllen = sizeof u.b;
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &p[0], sizeof(int));
    printf("sendmsg %zd\n", sendmsg(sv[0], &m, 0));
    close(p[0]);
    char rb[8];
    union { char b[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr align; } ru;
    struct iovec riov = {.iov_base = rb, .iov_len = sizeof rb};
    struct msghdr rm = {0};
    rm.msg_iov = &riov;
    rm.msg_iovlen = 1;
    rm.msg_control = ru.b;
    rm.msg_controllen = sizeof ru.b;
    ssize_t got = recvmsg(sv[1], &rm, 0);
    printf("recvmsg %zd flags %d controllen %zu\n", got, rm.msg_flags, (size_t)rm.msg_controllen);
    for (h = CMSG_FIRSTHDR(&rm); h; h = CMSG_NXTHDR(&rm, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(h), sizeof fd);
            n = read(fd, buf, sizeof buf);
            printf("passed fd reads %d: %.*s\n", n, n, buf);
            close(fd);
        }
    }
    /* SCM_CREDENTIALS with SO_PASSCRED. */
    int one = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    write(sv[0], "cred", 4);
    rm.msg_controllen = sizeof ru.b;
    got = recvmsg(sv[1], &rm, 0);
    printf("recvmsg %zd\n", got);
    for (h = CMSG_FIRSTHDR(&rm); h; h = CMSG_NXTHDR(&rm, h)) {
        if (h->cmsg_type == SCM_CREDENTIALS) {
            struct ucred rc;
            memcpy(&rc, CMSG_DATA(h), sizeof rc);
            printf("credentials pid %s uid %d gid %d\n", rc.pid == getpid() ? "mine" : "other",
                   rc.uid == getuid(), rc.gid == getgid());
        }
    }
    /* The peer goes with bytes unread: ECONNRESET, then end of file; EPIPE. */
    write(sv[1], "unread", 6);
    close(sv[0]);
    errno = 0;
    n = read(sv[1], buf, sizeof buf);
    printf("read after peer closed %d %s\n", n, en(n < 0 ? errno : 0));
    n = read(sv[1], buf, sizeof buf);
    printf("read again %d\n", n);
    signal(SIGPIPE, SIG_IGN);
    n = write(sv[1], "x", 1);
    printf("write %d %s\n", n, en(n < 0 ? errno : 0));
    close(sv[1]);
}

static void named_test(void) {
    const char *path = "/tmp/unixsock-test";
    unlink(path);
    struct sockaddr_un a;
    int len = addr(&a, path, 0);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind %s\n", en(bind(l, (struct sockaddr *)&a, len) < 0 ? errno : 0));
    struct stat st;
    stat(path, &st);
    printf("node is a socket %d\n", S_ISSOCK(st.st_mode));
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind again %s\n", en(bind(l2, (struct sockaddr *)&a, len) < 0 ? errno : 0));
    close(l2);
    printf("connect before listen %s\n", en(try_connect(path, 0)));
    listen(l, 4);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("connect %s\n", en(connect(c, (struct sockaddr *)&a, len) < 0 ? errno : 0));
    struct sockaddr_un pa;
    socklen_t pl = sizeof pa;
    int s = accept(l, (struct sockaddr *)&pa, &pl);
    printf("accept %s peer len %d family %d\n", s < 0 ? en(errno) : "ok", (int)pl, pa.sun_family);
    struct sockaddr_un na;
    socklen_t nl = sizeof na;
    getpeername(c, (struct sockaddr *)&na, &nl);
    printf("client's peer %s len %d\n", na.sun_path, (int)nl);
    nl = sizeof na;
    getsockname(s, (struct sockaddr *)&na, &nl);
    printf("server side's name %s\n", na.sun_path);
    pid_t pid = fork();
    if (pid == 0) {
        char msg[] = "from the child";
        write(c, msg, sizeof msg - 1);
        _exit(0);
    }
    waitpid(pid, 0, 0);
    char buf[64];
    int n = read(s, buf, sizeof buf);
    printf("server read %d: %.*s\n", n, n, buf);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
    printf("server's peercred pid %s\n", cr.pid == getpid() ? "mine" : "other");
    close(c);
    n = read(s, buf, sizeof buf);
    printf("server read at end %d\n", n);
    close(s);
    close(l);
    printf("connect after close %s\n", en(try_connect(path, 0)));
    unlink(path);
    printf("connect after unlink %s\n", en(try_connect(path, 0)));
    /* The abstract namespace: nothing in the file system. */
    len = addr(&a, "unixsock-abstract", 1);
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("abstract bind %s\n", en(bind(l, (struct sockaddr *)&a, len) < 0 ? errno : 0));
    listen(l, 1);
    printf("abstract connect %s\n", en(try_connect("unixsock-abstract", 1)));
    close(l);
    printf("abstract after close %s\n", en(try_connect("unixsock-abstract", 1)));
    /* Non-blocking accept with none waiting. */
    l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    len = addr(&a, "unixsock-nb", 1);
    bind(l, (struct sockaddr *)&a, len);
    listen(l, 1);
    printf("nonblocking accept %s\n", en(accept(l, 0, 0) < 0 ? errno : 0));
    close(l);
}

/* Bad arguments: errors, never a crash. */
static void bad_test(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
#define R(what, call) do { errno = 0; long r_ = (long)(call); printf("%s %ld %s\n", what, r_, en(r_ < 0 ? errno : 0)); } while (0)
    R("sendmsg null", sendmsg(sv[0], 0, 0));
    R("recvmsg null", syscall(SYS_recvmsg, sv[0], 0, MSG_DONTWAIT));
    struct iovec iov = {.iov_base = "x", .iov_len = 1};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 5000;
    R("sendmsg iovlen 5000", sendmsg(sv[0], &m, 0));
    m.msg_iovlen = 1;
    m.msg_iov = (struct iovec *)8;
    R("sendmsg bad iov", sendmsg(sv[0], &m, 0));
    m.msg_iov = &iov;
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    m.msg_control = u.b;
    m.msg_controllen = sizeof u.b;
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = 8;
    R("cmsg_len 8", sendmsg(sv[0], &m, 0));
    h->cmsg_len = 64;
    R("cmsg_len past the end", sendmsg(sv[0], &m, 0));
    h->cmsg_len = CMSG_LEN(sizeof(int));
    int bad = 999;
    memcpy(CMSG_DATA(h), &bad, sizeof bad);
    R("SCM_RIGHTS fd 999", sendmsg(sv[0], &m, 0));
    m.msg_control = (void *)8;
    R("control at a bad address", syscall(SYS_sendmsg, sv[0], &m, 0));
    R("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    R("socketpair sv null", socketpair(AF_UNIX, SOCK_STREAM, 0, 0));
    R("socketpair protocol 9", socketpair(AF_UNIX, SOCK_STREAM, 9, sv));
    struct sockaddr_un a;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int len = addr(&a, "/nonexistent-dir/s", 0);
    R("bind in a missing directory", bind(s, (struct sockaddr *)&a, len));
    len = addr(&a, "/tmp", 0);
    R("connect to a directory", connect(s, (struct sockaddr *)&a, len));
    R("bind with a bad address", bind(s, (struct sockaddr *)8, sizeof a));
    a.sun_family = AF_INET;
    R("bind AF_INET name", bind(s, (struct sockaddr *)&a, len));
    char buf[4];
    R("read unconnected", read(s, buf, sizeof buf));
    R("write unconnected", send(s, "x", 1, MSG_NOSIGNAL));
    R("listen unbound", listen(s, 1));
    int p[2];
    pipe(p);
    m.msg_control = 0;
    m.msg_controllen = 0;
    R("sendmsg on a pipe", sendmsg(p[0], &m, 0));
    R("socketpair then shutdown 7", shutdown(sv[0], 7));
    close(s);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    pair_test();
    named_test();
    bad_test();
    return 0;
}
