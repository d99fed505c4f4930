#!/usr/bin/env python3
"""Build figures for the benchmark report, as JSON: the size of our binary (and whether it is
static and stripped), the peer's footprint, the image size and the clean build time that
bench/run measured. Run with the peer's venv interpreter (it inspects its installed packages).

  sizes.py --binary PATH --peer-script PATH --requirements PATH [--image-bytes N]
           [--clean-build-s S | --previous-json PATH] [--target-size TARGET=BYTES|NOTE ...] > build.json
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def elf_facts(path: str) -> dict:
    """Static (no PT_INTERP program header) and stripped (no .symtab section), read from the ELF
    headers: no dependency on `file` or binutils."""
    import struct

    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit only
        return {"static": None, "stripped": None}
    endian = "<" if data[5] == 1 else ">"
    (e_phoff, e_shoff) = struct.unpack_from(endian + "QQ", data, 0x20)
    (e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) = struct.unpack_from(endian + "HHHHH", data, 0x36)
    interp = any(struct.unpack_from(endian + "I", data, e_phoff + i * e_phentsize)[0] == 3 for i in range(e_phnum))
    sections = []
    if e_shoff and e_shnum:
        strtab_offset = struct.unpack_from(endian + "Q", data, e_shoff + e_shstrndx * e_shentsize + 0x18)[0]
        for i in range(e_shnum):
            name_offset = struct.unpack_from(endian + "I", data, e_shoff + i * e_shentsize)[0]
            end = data.index(b"\0", strtab_offset + name_offset)
            sections.append(data[strtab_offset + name_offset:end].decode())
    return {"static": not interp, "stripped": ".symtab" not in sections}


def requirement_names(requirements: str) -> list[str]:
    names = []
    for line in Path(requirements).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0])
    return names


def peer_packages(requirements: str) -> tuple[int, list[str]]:
    """Bytes of the installed files of the pinned distributions, and their name==version."""
    total, pins = 0, []
    for name in requirement_names(requirements):
        dist = importlib.metadata.distribution(name)
        pins.append(f"{dist.metadata['Name']}=={dist.version}")
        for file in dist.files or []:
            located = Path(file.locate())
            if located.is_file():
                total += located.stat().st_size
    return total, pins


def peer_runtime(peer_script: str) -> tuple[int, int]:
    """A lower bound for the CPython runtime the peer needs: the interpreter binary (and
    libpython, when shared) plus the standard-library modules that loading the peer imports
    (source or extension module files), ELF files counted stripped. Measured in a child
    interpreter that imports the script without running main()."""
    probe = f"""
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("peer", {peer_script!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
site = [p for p in sys.path if p.endswith("site-packages")]
files = set()
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f and not any(f.startswith(s) for s in site) and os.path.isfile(f):
        files.add(os.path.realpath(f))
print(json.dumps(sorted(files)))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    files = json.loads(out)
    interpreter = os.path.realpath(sys.executable)
    files.append(interpreter)
    try:
        ldd = subprocess.run(["ldd", interpreter], capture_output=True, text=True).stdout
        files += [os.path.realpath(m.group(1)) for m in re.finditer(r"=> (\S*libpython\S*)", ldd)]
    except OSError:
        pass
    return sum(stripped_size(f) for f in files), len(files)


def stripped_size(path: str) -> int:
    """Size of the file, ELF files as `strip` would leave them (our binary is stripped too; a
    pyenv-built libpython carries 15+ MB of symbols)."""
    with open(path, "rb") as file:
        elf = file.read(4) == b"\x7fELF"
    if elf:
        with tempfile.TemporaryDirectory() as scratch:
            copy = os.path.join(scratch, "stripped")
            try:
                subprocess.run(["strip", "-o", copy, path], check=True, capture_output=True)
                return os.path.getsize(copy)
            except (OSError, subprocess.CalledProcessError):
                pass
    return os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--binary-label", default="publish-offer")
    parser.add_argument("--source", default="", help="what was built: a commit, or the work tree")
    parser.add_argument("--peer-script", required=True)
    parser.add_argument("--requirements", required=True)
    parser.add_argument("--image-bytes", type=int)
    parser.add_argument("--image-note", default="")
    parser.add_argument("--clean-build-s", type=float)
    parser.add_argument("--previous-json", help="results.json of an earlier run, for the build time")
    parser.add_argument("--target-size", action="append", default=[],
                        help="TARGET=BYTES, or TARGET=why it was not built; repeated")
    args = parser.parse_args()

    build = {"ours_label": args.binary_label, "source": args.source, "binary_bytes": os.path.getsize(args.binary)}
    build.update(elf_facts(args.binary))
    deps, pins = peer_packages(args.requirements)
    build["peer_deps_bytes"] = deps + os.path.getsize(args.peer_script)
    build["peer_packages"] = ", ".join(pins)
    build["peer_runtime_bytes"], build["peer_runtime_modules"] = peer_runtime(args.peer_script)
    if args.image_bytes:
        build["image_bytes"] = args.image_bytes
    build["image_note"] = args.image_note
    if args.clean_build_s is not None:
        build["clean_build_s"] = args.clean_build_s
        build["clean_build_date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    elif args.previous_json and Path(args.previous_json).exists():
        previous = json.loads(Path(args.previous_json).read_text()).get("build", {})
        if "clean_build_s" in previous:
            build["clean_build_s"] = previous["clean_build_s"]
            build["clean_build_note"] = f"from an earlier run ({previous.get('clean_build_date', 'date unknown')})"
            build["clean_build_date"] = previous.get("clean_build_date")
    build["target_sizes"] = {}
    for entry in args.target_size:
        target, _, value = entry.partition("=")
        build["target_sizes"][target] = int(value) if value.isdigit() else value
    json.dump(build, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
