"""What stapkit knows of one Linux kernel without its debuginfo.

btf.py reads the kernel's BTF type information (the format documented in the
kernel's Documentation/bpf/btf.rst), from /sys/kernel/btf/vmlinux, a raw blob
or the .BTF section of a vmlinux ELF file.  symbols.py reads a symbol table
(/proc/kallsyms or a System.map).  c_types.py gives C types their names and
follows members through pointers and typedefs.  description.py puts them
together as the KernelDescription the checker, `db show` and the language
server ask; saved.py writes and reads the compact per-kernel file of
`stapkit db kernel build`; loading.py finds and caches descriptions for a run.
"""
