/* ELF symbols (.symtab + its string table), loaded on first use into one
 * array. Go binaries linked with -s have none. */
#include <stdlib.h>

#include "goescape/binary.h"
#include "internal.h"

#define SHT_SYMTAB_ 2

ge_err ge_symtab_load(ge_binary *b, ge_error *err) {
  if (b->syms_loaded) return GE_OK;
  b->syms_loaded = 1;
  const ge_sect *s = NULL;
  for (size_t i = 0; i < b->nsects; i++)
    if (b->sects[i].type == SHT_SYMTAB_) s = &b->sects[i];
  const uint8_t *d = ge_elf_sect_data(b, s);
  if (!d && ge_map_changed(&b->map)) {
    b->syms_loaded = 0;
    return ge_changed(b, err);
  }
  if (!d) return GE_OK;
  uint32_t link = 0;
  /* sh_link of the symbol table names its string table. */
  {
    size_t idx = (size_t)(s - b->sects);
    const uint8_t *ehdr = b->map.data;
    uint64_t shoff = b->is64 ? ge_rd64(b, ehdr + 40) : ge_rd32(b, ehdr + 32);
    unsigned shentsize = ge_rd16(b, ehdr + (b->is64 ? 58 : 46));
    const uint8_t *sh = ehdr + shoff + idx * shentsize;
    link = ge_rd32(b, sh + (b->is64 ? 40 : 24));
  }
  if (link >= b->nsects)
    return ge_fail(err, GE_ERR_FORMAT, ".symtab: string table index %u out of range (%zu sections)",
                   link, b->nsects);
  const ge_sect *ss = &b->sects[link];
  const uint8_t *str = ge_elf_sect_data(b, ss);
  if (!str && ge_map_changed(&b->map)) {
    b->syms_loaded = 0;
    return ge_changed(b, err);
  }
  if (!str)
    return ge_fail(err, GE_ERR_FORMAT,
                   ".symtab: string table (section %u, offset %llu) out of the file", link,
                   (unsigned long long)ss->off);
  size_t ent = b->is64 ? 24 : 16, n = (size_t)(s->size / ent);
  b->syms = calloc(n ? n : 1, sizeof *b->syms);
  if (!b->syms) return ge_fail(err, GE_ERR_NOMEM, "out of memory for %zu symbols", n);
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = d + i * ent;
    ge_symbol *y = &b->syms[b->nsyms];
    uint32_t name = ge_rd32(b, p);
    uint8_t info;
    if (b->is64) {
      info = p[4];
      y->value = ge_rd64(b, p + 8);
      y->size = ge_rd64(b, p + 16);
    } else {
      y->value = ge_rd32(b, p + 4);
      y->size = ge_rd32(b, p + 8);
      info = p[12];
    }
    y->type = info & 15;
    y->bind = info >> 4;
    y->name = ge_cstr(str, ss->size, name);
    if (y->name.len) b->nsyms++;
  }
  return GE_OK;
}

void ge_symtab_free(ge_binary *b) {
  free(b->syms);
  b->syms = NULL;
}
