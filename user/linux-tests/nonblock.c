/* Descriptor flags and device requests, as Linux has them: fcntl(F_SETFL) with
 * O_NONBLOCK and O_APPEND, pipe2(O_NONBLOCK), ioctl FIONBIO, FIONREAD, TIOCSWINSZ
 * and TIOCGWINSZ. Run on the host and on dinos; the two outputs must be the same
 * (docs/linux.md). With the argument `tty`, fd 0 must be a terminal: its window
 * size is set, read back and restored. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerror(errno));
	else
		printf("%s = %ld\n", what, r);
}

static int ready(int fd)
{
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		return -errno;
	return n;
}

static int tty(void)
{
	struct winsize old, w = { .ws_row = 33, .ws_col = 101 }, got;
	if (!isatty(0)) {
		printf("fd 0 is not a terminal\n");
		return 1;
	}
	show("TIOCGWINSZ", ioctl(0, TIOCGWINSZ, &old));
	show("TIOCSWINSZ 33x101", ioctl(0, TIOCSWINSZ, &w));
	show("TIOCGWINSZ", ioctl(0, TIOCGWINSZ, &got));
	printf("rows %d cols %d\n", got.ws_row, got.ws_col);
	show("TIOCSWINSZ back", ioctl(0, TIOCSWINSZ, &old));
	show("TIOCGWINSZ", ioctl(0, TIOCGWINSZ, &got));
	printf("restored %d\n", got.ws_row == old.ws_row && got.ws_col == old.ws_col);
	show("TIOCSWINSZ bad pointer", ioctl(0, TIOCSWINSZ, (void *)8));
	return 0;
}

int main(int argc, char **argv)
{
	int p[2], q[2];
	char buf[4096];

	if (argc > 1 && !strcmp(argv[1], "tty"))
		return tty();
	setvbuf(stdout, NULL, _IONBF, 0);

	/* FIONREAD on a pipe: what a read would get now. */
	show("pipe", pipe(p));
	printf("FIONREAD empty: %d\n", ready(p[0]));
	show("write 5", write(p[1], "hello", 5));
	printf("FIONREAD: %d\n", ready(p[0]));
	show("read 2", read(p[0], buf, 2));
	printf("FIONREAD after read 2: %d\n", ready(p[0]));
	show("read 3", read(p[0], buf, 3));

	/* F_SETFL O_NONBLOCK: an empty pipe is EAGAIN instead of a wait. */
	int fl = fcntl(p[0], F_GETFL);
	printf("F_GETFL nonblock %d\n", !!(fl & O_NONBLOCK));
	show("F_SETFL O_NONBLOCK", fcntl(p[0], F_SETFL, fl | O_NONBLOCK));
	printf("F_GETFL nonblock %d rdonly %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK),
	       (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
	show("read empty nonblocking", read(p[0], buf, 1));
	/* The flag belongs to the open file: a dup sees it. */
	int d = dup(p[0]);
	printf("dup nonblock %d\n", !!(fcntl(d, F_GETFL) & O_NONBLOCK));
	show("F_SETFL 0 on the dup", fcntl(d, F_SETFL, 0));
	printf("original nonblock %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	/* FIONBIO sets and clears the same flag. */
	int one = 1, zero = 0;
	show("FIONBIO 1", ioctl(p[0], FIONBIO, &one));
	printf("nonblock %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	show("read empty after FIONBIO", read(p[0], buf, 1));
	show("FIONBIO 0", ioctl(p[0], FIONBIO, &zero));
	printf("nonblock %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	close(d);
	/* End of file is still 0, blocking or not. */
	show("F_SETFL O_NONBLOCK", fcntl(p[0], F_SETFL, O_NONBLOCK));
	close(p[1]);
	show("read at end of file", read(p[0], buf, 1));
	close(p[0]);

	/* pipe2(O_NONBLOCK): a full pipe's writer gets EAGAIN, after what fitted. */
	show("pipe2 O_NONBLOCK", pipe2(q, O_NONBLOCK | O_CLOEXEC));
	printf("both nonblock %d\n", (fcntl(q[0], F_GETFL) & fcntl(q[1], F_GETFL) & O_NONBLOCK) != 0);
	printf("cloexec %d\n", fcntl(q[1], F_GETFD) == FD_CLOEXEC);
	long total = 0, r;
	memset(buf, 'x', sizeof buf);
	while ((r = write(q[1], buf, sizeof buf)) > 0)
		total += r;
	printf("filled: %s, FIONREAD matches %d\n", strerror(errno), ready(q[0]) == total);
	show("read 10", read(q[0], buf, 10));
	printf("FIONREAD %d less\n", (int)(total - ready(q[0])));
	close(q[0]);
	close(q[1]);

	/* F_SETFL O_APPEND on a file: later writes go to the end. */
	int f = open("/tmp/lt-append", O_RDWR | O_CREAT | O_TRUNC, 0644);
	show("write abc", write(f, "abc", 3));
	show("lseek 0", lseek(f, 0, SEEK_SET));
	show("F_SETFL O_APPEND", fcntl(f, F_SETFL, O_APPEND | O_RDONLY));
	printf("append %d rdwr %d\n", !!(fcntl(f, F_GETFL) & O_APPEND),
	       (fcntl(f, F_GETFL) & O_ACCMODE) == O_RDWR);
	show("write d", write(f, "d", 1));
	show("pread", pread(f, buf, sizeof buf, 0));
	show("lseek 1", lseek(f, 1, SEEK_SET));
	printf("FIONREAD on the file at 1: %d\n", ready(f));
	show("lseek 9", lseek(f, 9, SEEK_SET));
	printf("FIONREAD past the end: %d\n", ready(f));
	printf("file: %.4s\n", buf);
	close(f);
	unlink("/tmp/lt-append");

	/* Requests a pipe does not take, and bad descriptors and pointers. */
	struct winsize w;
	show("pipe", pipe(p));
	show("TIOCGWINSZ on a pipe", ioctl(p[0], TIOCGWINSZ, &w));
	show("TIOCSWINSZ on a pipe", ioctl(p[0], TIOCSWINSZ, &w));
	show("FIONREAD on the write end", ioctl(p[1], FIONREAD, &one));
	show("FIONREAD bad pointer", ioctl(p[0], FIONREAD, (void *)8));
	show("FIONBIO bad pointer", ioctl(p[0], FIONBIO, (void *)8));
	show("FIONREAD bad fd", ioctl(99, FIONREAD, &one));
	show("F_SETFL bad fd", fcntl(99, F_SETFL, O_NONBLOCK));
	return 0;
}
