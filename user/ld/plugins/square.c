/* A plugin for `plugins` (docs/linking.md): squares its argument. */
long plugin_run(long x)
{
    return x * x;
}

/* Its description copied into buf (at most len bytes): the length. */
long plugin_name(char *buf, long len)
{
    static const char name[] = "squares a number";
    long i = 0;
    for (; name[i] && i < len; i++)
        buf[i] = name[i];
    return i;
}
