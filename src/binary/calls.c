/* The function a call site calls, read from the machine code: profiles
 * written by runtime/pprof hide the runtime's frames under the user's line
 * (runtime.growslice, makeslice, makemap, ...), but the call instruction
 * before each return address still names the allocator. Direct calls only:
 * amd64 CALL rel32 (E8), arm64 BL. */
#include "internal.h"

int ge_binary_call_target(const ge_binary *b, uint64_t pc, uint64_t *target) {
  /* A profile location's address is the return address minus one. */
  uint64_t ret = pc + 1;
  if (b->machine == 62 /* EM_X86_64 */) {
    if (ret < 5) return -1;
    const uint8_t *p = ge_elf_va(b, ret - 5, 5);
    if (!p || p[0] != 0xE8) return -1;
    int32_t rel = (int32_t)((uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
                            (uint32_t)p[4] << 24);
    *target = ret + (uint64_t)(int64_t)rel;
    return 0;
  }
  if (b->machine == 183 /* EM_AARCH64 */) {
    if (ret < 4 || (ret & 3)) return -1;
    const uint8_t *p = ge_elf_va(b, ret - 4, 4);
    if (!p) return -1;
    uint32_t insn = ge_rd32(b, p);
    if ((insn & 0xFC000000u) != 0x94000000u) return -1;
    int64_t imm = (int64_t)(insn & 0x03FFFFFFu);
    if (imm & 0x02000000) imm -= 0x04000000;
    *target = (ret - 4) + (uint64_t)(imm * 4);
    return 0;
  }
  return -1;
}
