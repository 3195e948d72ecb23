/* The trivial program vsbench's fork_exec_wait row executes: it only exits. */
int main(void) { return 0; }
