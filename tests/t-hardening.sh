#!/bin/bash
# The programs are built hardened, as configure chose (the flags it found in the build's
# Makefile): PIE, full RELRO (GNU_RELRO and BIND_NOW), a non-executable stack, the stack
# protector, FORTIFY_SOURCE's checked functions, CET branch protection in lvsrole's own
# objects. Read from the ELF files with readelf, not from the flags.
. "$(dirname "$0")/netns/lib.sh"
need readelf
B=$LR_BUILDDIR
flags() { sed -n "s/^$1 = //p" "$B/Makefile"; }
CF=$(flags HARDEN_CFLAGS) LF=$(flags HARDEN_LDFLAGS) PF=$(flags HARDEN_CPPFLAGS)
if [ -z "$CF$LF$PF" ]; then
	echo "SKIP: configured with --disable-hardening"
	exit 77
fi
for p in lvsrole-notify lvsrole-plugin lvsrole-deliver; do
	f=$B/$p
	[[ $LF == *-pie* ]] &&
		assert_match "$p: a position-independent executable" "Type: +DYN" "$(readelf -h "$f")"
	[[ $LF == *relro* ]] &&
		assert_match "$p: GNU_RELRO segment" "GNU_RELRO" "$(readelf -lW "$f")"
	[[ $LF == *now* ]] &&
		assert_match "$p: bound now (full RELRO)" "(BIND_NOW|FLAGS_1.*NOW)" "$(readelf -dW "$f")"
	[[ $LF == *noexecstack* ]] &&
		assert_match "$p: the stack is not executable" "GNU_STACK +0x0+ 0x0+ 0x0+ 0x0+ 0x0+ RW " "$(readelf -lW "$f")"
	[[ $CF == *stack-protector* ]] &&
		assert_match "$p: stack protector" "__stack_chk_fail" "$(readelf -sW --dyn-syms "$f")"
	[[ $PF == *_FORTIFY_SOURCE* ]] &&
		assert_match "$p: FORTIFY_SOURCE's checked functions" "__[a-z]+_chk" "$(readelf -sW --dyn-syms "$f")"
done
if [[ $CF == *cf-protection* ]]; then
	# the linked programs carry IBT/SHSTK only if every object does (the C library's and
	# the distribution's static archives decide that): lvsrole's own objects must
	for o in "$B"/lib/*.o "$B"/notify/*.o "$B"/plugin/*.o; do
		readelf -nW "$o" | grep -q "IBT, SHSTK" || { bad=${bad:-}" ${o#"$B"/}"; }
	done
	assert_eq "lvsrole's objects all carry IBT and SHSTK (-fcf-protection)" "" "${bad:-}"
fi
finish
