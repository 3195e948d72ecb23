/* A plugin for `plugins` (docs/linking.md) that needs a library of its own:
 * `dlopen` loads libdemo.so for it (DT_NEEDED) and binds demo_mul in its scope. */
long demo_mul(long a, long b);

long plugin_run(long x)
{
    return demo_mul(3, x);
}

long plugin_name(char *buf, long len)
{
    static const char name[] = "triples a number with libdemo's demo_mul";
    long i = 0;
    for (; name[i] && i < len; i++)
        buf[i] = name[i];
    return i;
}
