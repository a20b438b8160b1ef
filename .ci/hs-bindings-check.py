#!/usr/bin/env python3
"""Checks vectorscan-rs-sys's pre-generated Rust bindings against the installed Vectorscan
headers (Debian's libvectorscan-dev), before .ci/run links the feature suite against that
library instead of the bundled copy the bindings were generated for.

    .ci/hs-bindings-check.py PATH/TO/vectorscan-rs-sys/src/bindings.rs

Writes a C file that assigns every bound function to a pointer of the type the bindings give
it, and asserts every HS_ constant's value and each struct's field types, size, alignment and
field offsets; compiles it with -Werror and links it with -lhs. A signature that differs would
otherwise link fine and break at run time. The version constants are left out: they differ.
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

C_TYPES = {"c_char": "char", "c_int": "int", "c_uint": "unsigned int",
           "c_ulonglong": "unsigned long long", "c_void": "void", "usize": "size_t"}
VERSION = {"HS_MAJOR", "HS_MINOR", "HS_PATCH", "HS_VERSION_STRING", "HS_VERSION_32BIT"}


def ctype(rust: str) -> str:
    """`*const *const ::std::os::raw::c_char` -> `const char *const *`."""
    rust = rust.strip().replace("::std::os::raw::", "")
    m = re.fullmatch(r"\*(const|mut) (.+)", rust)
    if not m:
        return C_TYPES.get(rust, rust)
    inner, const = ctype(m.group(2)), m.group(1) == "const"
    if inner.endswith("*"):
        return inner + ("const *" if const else "*")
    return ("const " if const else "") + inner + " *"


def main() -> int:
    src = re.sub(r'#\[doc = "(?:[^"\\]|\\.)*"\]', "", Path(sys.argv[1]).read_text())
    out = ["#include <stddef.h>", "#include <hs/hs.h>"]
    fns = re.findall(r"pub fn (hs_\w+)\((.*?)\)\s*->\s*([^;]+);", src, re.S)
    for name, args, ret in fns:
        params = [a.split(":", 1)[1] for a in args.split(",") if a.strip()]
        out.append(f"{ctype(ret)} (*p_{name})({', '.join(map(ctype, params)) or 'void'}) = {name};")
    for name, value in re.findall(r"pub const (HS_\w+): \w+ = (-?\d+);", src):
        if name not in VERSION:
            out.append(f'_Static_assert((long long)({name}) == {value}LL, "{name}");')
    for struct, body in re.findall(r"pub struct (hs_\w+) \{(.*?)\n\}", src, re.S):
        for field, ty in re.findall(r"pub (\w+): ([^,]+),", body):
            out.append(f"_Static_assert(__builtin_types_compatible_p(__typeof__(((struct {struct} *)0)->{field}),"
                       f' {ctype(ty)}), "{struct}.{field}");')
    for struct, size in re.findall(r"size_of::<(hs_\w+)>\(\),\s*(\d+)usize", src):
        out.append(f'_Static_assert(sizeof(struct {struct}) == {size}, "sizeof {struct}");')
    for struct, align in re.findall(r"align_of::<(hs_\w+)>\(\),\s*(\d+)usize", src):
        out.append(f'_Static_assert(_Alignof(struct {struct}) == {align}, "alignof {struct}");')
    offsets = re.findall(r"\(\*ptr\)\.(\w+)\) as usize - ptr as usize \},\s*(\d+)usize,.*?stringify!\((hs_\w+)\)",
                         src, re.S)
    for field, offset, struct in offsets:
        out.append(f'_Static_assert(offsetof(struct {struct}, {field}) == {offset}, "offsetof {struct}.{field}");')
    for alias, c in [("match_event_handler",
                      "int (*)(unsigned int, unsigned long long, unsigned long long, unsigned int, void *)"),
                     ("hs_alloc_t", "void *(*)(size_t)"), ("hs_free_t", "void (*)(void *)"),
                     ("hs_error_t", "int")]:
        out.append(f'_Static_assert(__builtin_types_compatible_p({alias}, {c}), "{alias}");')
    out.append("int main(void) { return 0; }")
    if len(fns) < 30 or not offsets:
        print(f"hs-bindings-check: found {len(fns)} functions and {len(offsets)} offsets in {sys.argv[1]}:"
              " has the bindings' format changed?", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        c = Path(tmp, "check.c")
        c.write_text("\n".join(out) + "\n")
        r = subprocess.run(["cc", "-std=c11", "-Werror", "-Wall", str(c), "-lhs", "-o", str(Path(tmp, "check"))],
                           capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        print("hs-bindings-check: vectorscan-rs-sys's bindings do not match the installed Vectorscan",
              file=sys.stderr)
        return 1
    print(f"ok: {len(fns)} functions, {len(out) - len(fns) - 3} assertions: the bindings match the installed hs.h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
