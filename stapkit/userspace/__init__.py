"""What stapkit knows of one user-space program or library without running it.

elf.py reads an ELF file with pyelftools: its SDT markers (sdt.py parses the
`.note.stapsdt` notes), its function symbols (`.symtab`, `.dynsym`, and the
xz-compressed `.gnu_debugdata` mini-debuginfo), the PLT, `DT_NEEDED`, the
build id and, with DWARF, the parameters of its functions (dwarf.py).
resolve.py finds the file a `process(...)` or `.library(...)` names, as stap
does, under an optional sysroot.  points.py judges a probe point against what
was read.  Nothing is executed; only the named ELF files (and a debug file
found by build id) are read; what is read is cached by whoever owns the reader
(semantic.session.Session), never here.
"""
