/* ge_binary: open (map, ELF headers, buildinfo, pclntab header), lookups,
 * functions, symbols. Opening decodes headers only; nothing per function. */
#include <stdio.h>
#include <stdlib.h>

#include "goescape/binary.h"
#include "internal.h"

static ge_err open_common(ge_binary *b, const ge_limits *lim, ge_error *err) {
  if (lim) b->lim = *lim;
  else ge_limits_default(&b->lim);
  if (b->lim.max_inline_depth == 0) b->lim.max_inline_depth = 1;
  ge_arena_init(&b->arena, 16 * 1024);
  ge_err rc = ge_elf_parse(b, err);
  if (!rc) rc = ge_elf_relocs(b, err);
  if (!rc) rc = ge_buildinfo_read(b, err);
  if (!rc) rc = ge_pcln_find(b, err);
  if (rc) ge_error_prefix(err, b->name);
  return rc;
}

static ge_binary *alloc_binary(const char *name) {
  ge_binary *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  size_t n = strlen(name);
  b->name = malloc(n + 1);
  if (!b->name) {
    free(b);
    return NULL;
  }
  memcpy(b->name, name, n + 1);
  b->fc.i = SIZE_MAX;
  return b;
}

ge_err ge_binary_open(const char *path, const ge_limits *lim, ge_binary **out, ge_error *err) {
  *out = NULL;
  if (!path) return ge_fail(err, GE_ERR_ARG, "no path");
  ge_binary *b = alloc_binary(path);
  if (!b) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  ge_err rc = ge_map_open_lazy(path, &b->map, lim, err);
  if (rc) {
    ge_binary_free(b);
    return rc;
  }
  b->own_map = 1;
  rc = open_common(b, lim, err);
  if (rc) {
    ge_binary_free(b);
    return rc;
  }
  *out = b;
  return GE_OK;
}

ge_err ge_binary_open_mem(const void *data, size_t size, const char *name, const ge_limits *lim,
                          ge_binary **out, ge_error *err) {
  *out = NULL;
  ge_binary *b = alloc_binary(name ? name : "<memory>");
  if (!b) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  b->map.data = data;
  b->map.size = size;
  ge_err rc = open_common(b, lim, err);
  if (rc) {
    ge_binary_free(b);
    return rc;
  }
  *out = b;
  return GE_OK;
}

void ge_binary_free(ge_binary *b) {
  if (!b) return;
  ge_dwarf_free(b);
  free(b->dwarf_units);
  ge_symtab_free(b);
  ge_pcln_free(b);
  free(b->sects);
  free(b->segs);
  ge_elf_relocs_free(b);
  ge_arena_free(&b->arena);
  if (b->own_map) ge_map_close(&b->map);
  free(b->name);
  free(b);
}

static ge_module modview(const ge_modrec *m) {
  ge_module r;
  r.path = m->path;
  r.version = m->version;
  r.sum = m->sum;
  r.rpath = m->rpath;
  r.rversion = m->rversion;
  r.rsum = m->rsum;
  return r;
}

void ge_binary_info_get(const ge_binary *b, ge_binary_info *o) {
  memset(o, 0, sizeof *o);
  o->go_version = b->go_version;
  o->main_path = b->main_path;
  o->main = modview(&b->mainmod);
  o->ndeps = b->ndeps;
  o->nsettings = b->nsettings;
  o->pclntab_version = b->pcln.ver;
  o->pclntab_where.ptr = b->pcln_where ? b->pcln_where : "";
  o->pclntab_where.len = strlen(o->pclntab_where.ptr);
  o->pclntab_addr = b->pcln.va;
  o->text_start = b->pcln.textstart;
  o->nfuncs = (size_t)b->pcln.nfunc;
  o->ptrsize = (int)(b->pcln.ptrsize ? b->pcln.ptrsize : (b->is64 ? 8 : 4));
  o->machine = b->machine;
  o->pie = b->etype == 3;
  o->has_sections = b->nsects > 0;
  int symtab = 0, dwarf = 0;
  for (size_t i = 0; i < b->nsects; i++) {
    if (b->sects[i].type == 2) symtab = 1;
    if (!strcmp(b->sects[i].name, ".debug_info") || !strcmp(b->sects[i].name, ".zdebug_info"))
      dwarf = 1;
  }
  o->stripped = !symtab;
  o->has_dwarf = (uint8_t)dwarf;
  o->has_inline = b->pcln.ver >= 118 ? (uint8_t)b->pcln.have_gofunc : b->pcln.ver != 0;
}

ge_err ge_binary_dep(const ge_binary *b, size_t i, ge_module *out) {
  if (i >= b->ndeps) return GE_ERR_ARG;
  *out = modview(&b->deps[i]);
  return GE_OK;
}

ge_err ge_binary_setting(const ge_binary *b, size_t i, ge_setting *out) {
  if (i >= b->nsettings) return GE_ERR_ARG;
  out->key = b->settings[2 * i];
  out->value = b->settings[2 * i + 1];
  return GE_OK;
}

ge_err ge_binary_lookup(ge_binary *b, uint64_t pc, ge_frame *frames, size_t max,
                        size_t *nframes, ge_error *err) {
  *nframes = 0;
  if (!b || (!frames && max)) return ge_fail(err, GE_ERR_ARG, "bad arguments");
  ge_err rc = ge_pcln_lookup(b, pc, frames, max, nframes, err);
  if (rc && err) { /* name the binary and the PC */
    char where[GE_ERRMSG_MAX / 2];
    snprintf(where, sizeof where, "%s: pc 0x%llx", b->name, (unsigned long long)pc);
    ge_error_prefix(err, where);
  }
  return rc;
}

ge_err ge_binary_lookup_many(ge_binary *b, const uint64_t *pcs, size_t npcs, size_t max,
                             ge_pcframes *res, const ge_frame **frames, ge_error *err) {
  if (!b || !frames || (npcs && (!pcs || !res))) return ge_fail(err, GE_ERR_ARG, "bad arguments");
  return ge_pcln_lookup_many(b, pcs, npcs, max, res, frames, err);
}

ge_err ge_binary_func(ge_binary *b, size_t i, ge_func_info *out, ge_error *err) {
  return ge_pcln_func(b, i, out, err);
}

ge_err ge_binary_func_by_name(ge_binary *b, const char *name, size_t len, ge_func_info *out,
                              ge_error *err) {
  for (size_t i = 0; i < b->pcln.nfunc; i++) {
    ge_err rc = ge_pcln_func(b, i, out, err);
    if (rc) return rc;
    if (out->name.len == len && memcmp(out->name.ptr, name, len) == 0) return GE_OK;
  }
  return ge_fail(err, GE_ERR_NOTFOUND, "no function %.*s", (int)len, name);
}

ge_err ge_binary_symbols(ge_binary *b, size_t *count, ge_error *err) {
  ge_err rc = ge_symtab_load(b, err);
  *count = b->nsyms;
  return rc;
}

ge_err ge_binary_symbol(ge_binary *b, size_t i, ge_symbol *out) {
  if (i >= b->nsyms) return GE_ERR_ARG;
  *out = b->syms[i];
  return GE_OK;
}

ge_err ge_binary_symbol_by_name(ge_binary *b, const char *name, size_t len, ge_symbol *out,
                                ge_error *err) {
  ge_err rc = ge_symtab_load(b, err);
  if (rc) return rc;
  for (size_t i = 0; i < b->nsyms; i++)
    if (b->syms[i].name.len == len && memcmp(b->syms[i].name.ptr, name, len) == 0) {
      *out = b->syms[i];
      return GE_OK;
    }
  return ge_fail(err, GE_ERR_NOTFOUND, "no symbol %.*s", (int)len, name);
}
