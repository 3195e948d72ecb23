# Boot a worktree's kernel + rootfs under -icount shift=0 and run shell lines.
# usage: boot.py WORKTREE [--gdb PORT] LINE...
import subprocess, sys, time, os, select, shutil, tempfile
wt=sys.argv[1]; args=sys.argv[2:]; gdb=None
if args and args[0]=="--gdb": gdb=args[1]; args=args[2:]
K=os.environ.get("KERNEL") or wt+"/target/kernel/x86_64-unknown-linux-gnu/release/kernel"
# A private copy of the disk per run, so that two runs at once do not share one.
img=os.path.join(tempfile.mkdtemp(prefix="dinos-prof-"),"disk.img"); shutil.copy(wt+"/target/rootfs.img",img)
cmd=["qemu-system-x86_64","-machine","q35","-nodefaults","-no-user-config","-display","none","-vga","none","-bios","qboot.rom","-m","256","-smp","1","-kernel",K,
 "-drive","file="+img+",if=none,id=disk0,format=raw,cache=writeback","-device","virtio-blk-pci,drive=disk0",
 "-icount","shift=0",
 "-chardev","stdio,id=con,mux=on,signal=off","-serial","chardev:con","-monitor","none","-device","isa-debug-exit,iobase=0xf4,iosize=0x04","-no-reboot"]
if gdb: cmd+=["-gdb","tcp:127.0.0.1:"+gdb]
p=subprocess.Popen(cmd,stdin=subprocess.PIPE,stdout=subprocess.PIPE,stderr=subprocess.STDOUT)
out=b""
def expect(pat,t=600):
    global out
    t0=time.time()
    while time.time()-t0<t:
        if pat.encode() in out:
            i=out.index(pat.encode())+len(pat); s=out[:i]; out=out[i:]; return s.decode(errors="replace")
        r,_,_=select.select([p.stdout],[],[],1)
        if r:
            d=os.read(p.stdout.fileno(),65536)
            if not d: break
            out+=d
    raise Exception("timeout "+pat+" have "+out[-500:].decode(errors="replace"))
def run(line,t=600):
    p.stdin.write((line+"\n").encode()); p.stdin.flush()
    s=expect("$ ",t); print(s,flush=True); return s
expect("$ ",120)
for l in args: run(l)
p.stdin.write(b"poweroff\n"); p.stdin.flush(); p.wait(timeout=60)
