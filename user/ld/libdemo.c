/* libdemo.so: a small shared library for dinos' native dynamic linker
 * (/lib/ld-dinos.so, docs/linking.md), built by the xtask with
 * `gcc -shared -fPIC -nostdlib -ffreestanding`. Each part makes the linker apply one
 * kind of relocation:
 *   - `names`, a table of pointers to strings: R_X86_64_RELATIVE (base + addend);
 *   - `demo_calls`, a global the library's own code reaches through its GOT:
 *     R_X86_64_GLOB_DAT (the symbol's address, found by name);
 *   - calls between exported functions go through the PLT: R_X86_64_JUMP_SLOT;
 *   - `demo_ops`, a table of pointers to exported functions: R_X86_64_64 (symbol +
 *     addend);
 *   - three thread-local variables (`__thread`): `demo_tls_gd` in the general-dynamic
 *     model (-fPIC's default: a DTPMOD64/DTPOFF64 pair in the GOT, passed to
 *     `__tls_get_addr`, which the linker provides), `demo_tls_ie` in the initial-exec
 *     model (R_X86_64_TPOFF64: its offset from the thread pointer, read at %fs), and
 *     `demo_tls_zero` in .tbss (zero-initialised);
 *   - `demo_unused`, which `hello-dyn` calls only when asked: under lazy binding a
 *     program whose copy names a symbol no one defines still runs until it calls it.
 * No C library: the program (`hello-dyn`, Rust over ulib) does the output. */

static const char *names[] = {"zero", "one", "two", "three"};

long demo_calls;

long demo_add(long a, long b)
{
    demo_calls++;
    return a + b;
}

long demo_mul(long a, long b)
{
    demo_calls++;
    return a * b;
}

long (*demo_ops[])(long, long) = {demo_add, demo_mul};

/* op 0 adds, 1 multiplies, through the table (and so through R_X86_64_64). */
long demo_apply(long op, long a, long b)
{
    if (op < 0 || op > 1)
        return -1;
    return demo_ops[op](a, b);
}

long demo_count(void)
{
    return demo_calls;
}

/* The name of n (0 to 3) copied into buf (at most len bytes): its length, -1 if none. */
long demo_name(long n, char *buf, long len)
{
    if (n < 0 || n > 3)
        return -1;
    const char *s = names[n];
    long i = 0;
    for (; s[i] && i < len; i++)
        buf[i] = s[i];
    return i;
}

__thread long demo_tls_gd = 40;
__thread long demo_tls_ie __attribute__((tls_model("initial-exec"))) = 2;
__thread long demo_tls_zero;

/* Add `add` to both initialised thread-locals and count the calls in the third:
 * gd + ie + 1000 * calls. */
long demo_tls(long add)
{
    demo_tls_gd += add;
    demo_tls_ie += add;
    demo_tls_zero++;
    return demo_tls_gd + demo_tls_ie + 1000 * demo_tls_zero;
}

long demo_unused(long x)
{
    return x + 1;
}
