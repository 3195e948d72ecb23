# gdb python: count every instruction of one round trip, from the Nth hit of FUNC
# to the next. env: FUNC (regex for `info functions`), SKIP (hits to skip), OUT.
import gdb, os, re
func=os.environ.get("FUNC","Port::queue"); skip=int(os.environ.get("SKIP","300"))
out=os.environ.get("OUT","/tmp/trace.txt")
gdb.execute("set pagination off")
txt=gdb.execute("info functions "+func, to_string=True)
addrs=[]
for l in txt.splitlines():
    m=re.match(r"\s*(0x[0-9a-f]+)\s",l)
    if m: addrs.append(int(m.group(1),16))
if os.environ.get("ADDR"): addrs=[int(os.environ["ADDR"],16)]
if not addrs:
    # full-debug-less kernel: use the non-debugging symbols list
    raise SystemExit("no symbol for "+func+": "+txt[:500])
a=addrs[0]
gdb.execute("hbreak *%#x"%a)
gdb.execute("ignore 1 %d"%skip)
gdb.execute("continue")
gdb.execute("delete")
pcs=[]
def pc(): return int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
start=pc()
while True:
    gdb.execute("stepi", to_string=True)
    p=pc(); pcs.append(p)
    if p==start or len(pcs)>200000: break
open(out,"w").write("\n".join("%x"%p for p in pcs))
print("steps",len(pcs))
gdb.execute("kill")
