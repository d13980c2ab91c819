/* The function a call site calls, read from the machine code: profiles
 * written by runtime/pprof hide the runtime's frames under the user's line
 * (runtime.growslice, makeslice, makemap, ...), but the call instruction
 * before each return address still names the allocator. Direct calls only:
 * amd64 CALL rel32 (E8), arm64 BL. */
#include "internal.h"

/* The instruction bytes, or NULL: *rc says whether none are there or the
 * file changed before they were read. */
static const uint8_t *code(const ge_binary *b, uint64_t va, uint64_t n, ge_err *rc) {
  const uint8_t *p = ge_elf_va(b, va, n);
  if (!p && ge_map_changed(&b->map)) *rc = GE_ERR_IO;
  return p;
}

ge_err ge_binary_call_target(const ge_binary *b, uint64_t pc, uint64_t *target, ge_error *err) {
  ge_err rc = GE_ERR_NOTFOUND;
  /* A profile location's address is the return address minus one. */
  uint64_t ret = pc + 1;
  if (b->machine == 62 /* EM_X86_64 */) {
    const uint8_t *p = ret < 5 ? NULL : code(b, ret - 5, 5, &rc);
    if (!p || p[0] != 0xE8) goto none;
    int32_t rel = (int32_t)((uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
                            (uint32_t)p[4] << 24);
    *target = ret + (uint64_t)(int64_t)rel;
    return GE_OK;
  }
  if (b->machine == 183 /* EM_AARCH64 */) {
    const uint8_t *p = ret < 4 || (ret & 3) ? NULL : code(b, ret - 4, 4, &rc);
    if (!p) goto none;
    uint32_t insn = ge_rd32(b, p);
    if ((insn & 0xFC000000u) != 0x94000000u) goto none;
    int64_t imm = (int64_t)(insn & 0x03FFFFFFu);
    if (imm & 0x02000000) imm -= 0x04000000;
    *target = (ret - 4) + (uint64_t)(imm * 4);
    return GE_OK;
  }
none:
  if (rc == GE_ERR_IO) return ge_changed(b, err);
  return rc;
}
