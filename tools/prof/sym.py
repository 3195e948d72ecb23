# Symbolise a trace: count instructions per function (kernel symbols from nm; user
# addresses lumped as "user").  usage: sym.py KERNEL TRACE
import sys, subprocess, bisect, collections
K,T=sys.argv[1],sys.argv[2]
syms=[]
for l in subprocess.run(["nm","-C","--defined-only",K],capture_output=True,text=True).stdout.splitlines():
    parts=l.split(" ",2)
    if len(parts)==3 and parts[1] in "tTwW":
        syms.append((int(parts[0],16),parts[2]))
syms.sort(); addrs=[s[0] for s in syms]
c=collections.Counter(); seq=[]
for l in open(T):
    a=int(l,16)
    if a < 0xffff800000000000: name="user"
    else:
        i=bisect.bisect_right(addrs,a)-1; name=syms[i][1] if i>=0 else "?"
    c[name]+=1
    if not seq or seq[-1][0]!=name: seq.append([name,1])
    else: seq[-1][1]+=1
tot=sum(c.values()); print("total",tot)
for n,k in c.most_common(60): print("%6d %s"%(k,n[:150]))
if len(sys.argv)>3:
    for n,k in seq: print("   %5d %s"%(k,n[:120]))
