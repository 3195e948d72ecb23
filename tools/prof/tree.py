# Inclusive counts by source function at inline depth: each pc's inline chain
# (outermost first); count every (depth, function@line-of-call) prefix.
import sys,subprocess,collections
K,T=sys.argv[1],sys.argv[2]; want=sys.argv[3] if len(sys.argv)>3 else ""
pcs=[int(l,16) for l in open(T)]
u=sorted(set(p for p in pcs if p>=0xffff800000000000))
r=subprocess.run(["addr2line","-a","-f","-i","-C","-e",K],input="\n".join("%x"%a for a in u),capture_output=True,text=True).stdout.split("\n0x")
info={}
for blk in r:
    ls=blk.strip().splitlines()
    if not ls: continue
    a=int(ls[0].replace("0x",""),16); body=ls[1:]
    fr=[(body[i],body[i+1].split("/")[-1]) for i in range(0,len(body)-1,2)]
    info[a]=fr[::-1]  # outermost first
c=collections.Counter()
for p in pcs:
    fr=info.get(p)
    if not fr: c[("user",)]+=1; continue
    names=[]
    for i,(f,loc) in enumerate(fr):
        short=f.split("<")[0].split("::")[-1] if "{" not in f.split("::")[-1] else "::".join(f.split("<")[0].split("::")[-2:])
        names.append(short+"@"+(fr[i+1][1] if i+1<len(fr) else loc))
        c[tuple(names)]+=1
for k,n in sorted(c.items()):
    if want and want not in " ".join(k): continue
    if n>=int(sys.argv[4] if len(sys.argv)>4 else 8): print("%5d %s%s"%(n,"  "*(len(k)-1),k[-1]))
