# Attribute a trace to source lines (needs a kernel with line tables).
# usage: lines.py KERNEL TRACE [FILTER]  -> counts per innermost file:line and per
# (outer function) with the inline chain.
import sys, subprocess, collections
K,T=sys.argv[1],sys.argv[2]; flt=sys.argv[3] if len(sys.argv)>3 else None
pcs=[int(l,16) for l in open(T)]
uniq=sorted(set(p for p in pcs if p>=0xffff800000000000))
r=subprocess.run(["addr2line","-a","-f","-i","-C","-e",K],input="\n".join("%x"%a for a in uniq),capture_output=True,text=True).stdout.splitlines()
info={}; cur=None; chain=[]
i=0
while i<len(r):
    l=r[i]
    if l.startswith("0x"):
        if cur is not None: info[cur]=chain
        cur=int(l,16); chain=[]; i+=1; continue
    fn=l; loc=r[i+1] if i+1<len(r) else "?"; chain.append((fn,loc)); i+=2
if cur is not None: info[cur]=chain
c=collections.Counter()
for p in pcs:
    if p<0xffff800000000000: c["user"]+=1; continue
    ch=info.get(p,[("?","?")])
    loc=ch[0][1].split("/")[-2:] ; loc="/".join(loc)
    key="%s  [%s]"%(loc, " < ".join(f[0].split("::")[-1][:30] for f in ch[:4]))
    if flt and flt not in key: continue
    c[key]+=1
for k,n in c.most_common(int(sys.argv[4]) if len(sys.argv)>4 else 80): print("%5d %s"%(n,k))
