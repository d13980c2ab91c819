/* DWARF through libdwarf (Debian 12: 20210528, dwarf_init_b on a file
 * descriptor; it inflates both .zdebug_* and SHF_COMPRESSED sections).
 * Loaded on first use: compile units with producer flags, subprograms,
 * inlined subroutines (a second source of inline chains) and variables with
 * their types and byte sizes. Go specifics: a variable moved to heap is
 * emitted as "&x" of pointer type; its cost is the pointee's size. The DIE
 * walk is bounded in depth; strings are copied into the handle's arena
 * before dwarf_finish. */
#define _GNU_SOURCE
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <libdwarf.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/vec.h"
#include "goescape/binary.h"
#include "internal.h"

#define MAX_DIE_DEPTH 64

struct ge_dwarf_data {
  GE_VEC(ge_dwarf_cu) cus;
  GE_VEC(ge_dwarf_var) vars;
  GE_VEC(ge_dwarf_inline) inl;
  GE_VEC(ge_dwarf_member) members;
  GE_VEC(ge_dwarf_frameloc) framelocs;
  uint16_t max_version;
};

typedef struct walk {
  ge_binary *b;
  Dwarf_Debug dbg;
  ge_dwarf_cu *cu;
  char **files;
  Dwarf_Signed nfiles;
  int fail;
  ge_strview owner; /* the named struct whose members the walk is in */
  int fb_cfa;       /* the enclosing subprogram's frame base is its CFA */
} walk;

static ge_strview keep(ge_binary *b, const char *s) {
  ge_strview v = {"", 0};
  if (!s) return v;
  size_t n = strlen(s);
  char *c = ge_arena_strndup(&b->arena, s, n);
  if (c) {
    v.ptr = c;
    v.len = n;
  }
  return v;
}

static const char *die_name(walk *w, Dwarf_Die d) {
  char *name = NULL;
  Dwarf_Error e = NULL;
  if (dwarf_diename(d, &name, &e) == DW_DLV_OK) return name;
  if (e) dwarf_dealloc_error(w->dbg, e);
  return NULL;
}

static Dwarf_Die ref_die(walk *w, Dwarf_Die d, Dwarf_Half at) {
  Dwarf_Attribute a;
  Dwarf_Error e = NULL;
  Dwarf_Die r = NULL;
  if (dwarf_attr(d, at, &a, &e) != DW_DLV_OK) {
    if (e) dwarf_dealloc_error(w->dbg, e);
    return NULL;
  }
  Dwarf_Off off;
  if (dwarf_global_formref(a, &off, &e) == DW_DLV_OK) {
    if (dwarf_offdie_b(w->dbg, off, 1, &r, &e) != DW_DLV_OK) r = NULL;
  }
  if (e) dwarf_dealloc_error(w->dbg, e);
  dwarf_dealloc_attribute(a);
  return r;
}

static uint64_t udata(walk *w, Dwarf_Die d, Dwarf_Half at, uint64_t def) {
  Dwarf_Attribute a;
  Dwarf_Error e = NULL;
  uint64_t v = def;
  if (dwarf_attr(d, at, &a, &e) != DW_DLV_OK) {
    if (e) dwarf_dealloc_error(w->dbg, e);
    return def;
  }
  Dwarf_Unsigned u;
  if (dwarf_formudata(a, &u, &e) == DW_DLV_OK) v = u;
  if (e) dwarf_dealloc_error(w->dbg, e);
  dwarf_dealloc_attribute(a);
  return v;
}

/* File attribute → name: 1-based before DWARF 5, 0-based from DWARF 5. */
static ge_strview file_of(walk *w, uint64_t idx) {
  ge_strview none = {"", 0};
  if (idx == UINT64_MAX) return none;
  if (w->cu->version < 5) {
    if (idx == 0) return none;
    idx--;
  }
  if (idx >= (uint64_t)w->nfiles) return none;
  return keep(w->b, w->files[idx]);
}

/* Byte size of a type DIE; pointers without DW_AT_byte_size (Go) take the
 * pointer size. Named types are DW_TAG_typedef (Go: "main.Big" -> the
 * struct) and qualifiers carry no size: both are followed to the type that
 * has one, a few links deep (a crafted cycle stops there). */
static uint64_t type_size(walk *w, Dwarf_Die t) {
  Dwarf_Die cur = t, owned = NULL;
  uint64_t sz = UINT64_MAX;
  for (int depth = 0; cur && depth < 16; depth++) {
    sz = udata(w, cur, DW_AT_byte_size, UINT64_MAX);
    if (sz != UINT64_MAX) break;
    Dwarf_Half tag = 0;
    Dwarf_Error e = NULL;
    int ok = dwarf_tag(cur, &tag, &e) == DW_DLV_OK;
    if (e) dwarf_dealloc_error(w->dbg, e);
    if (!ok) break;
    if (tag == DW_TAG_pointer_type) {
      sz = w->b->pcln.ptrsize ? w->b->pcln.ptrsize : 8;
      break;
    }
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
        tag != DW_TAG_restrict_type)
      break;
    Dwarf_Die next = ref_die(w, cur, DW_AT_type);
    if (owned) dwarf_dealloc_die(owned);
    owned = next;
    cur = next;
  }
  if (owned) dwarf_dealloc_die(owned);
  return sz;
}

#define MAX_LOC_ENTRIES 4096
#define MAX_PIECE (1u << 30)

static void push_frameloc(walk *w, uint32_t var, int64_t cfa, uint64_t off, uint64_t size,
                          uint64_t lo, uint64_t hi) {
  if (size == 0 || size > MAX_PIECE) return;
  ge_dwarf_frameloc *f = GE_VEC_PUSH_SLOT(w->b->dw->framelocs);
  if (!f) {
    w->fail = 1;
    return;
  }
  f->var = var;
  f->cfa_offset = cfa;
  f->offset = off;
  f->size = size;
  f->low_pc = lo;
  f->high_pc = hi;
}

/* One location expression, piece by piece: a piece is kept when its
 * address is the CFA plus a constant (DW_OP_call_frame_cfa followed by
 * DW_OP_consts N DW_OP_plus, DW_OP_plus_uconst N, or DW_OP_fbreg N where
 * the frame base is the CFA); registers, derefs and anything else make the
 * piece unknown. Without DW_OP_piece the expression is the whole
 * variable. */
static void eval_loc(walk *w, Dwarf_Locdesc_c desc, Dwarf_Unsigned nops, uint32_t var,
                     uint64_t varsize, uint64_t lo, uint64_t hi) {
  int known = 0, pending = 0, pieces = 0;
  int64_t loc = 0, cst = 0;
  uint64_t pos = 0;
  for (Dwarf_Unsigned j = 0; j < nops && !w->fail; j++) {
    Dwarf_Small atom = 0;
    Dwarf_Unsigned op1 = 0, op2 = 0, op3 = 0, br = 0;
    Dwarf_Error e = NULL;
    if (dwarf_get_location_op_value_c(desc, j, &atom, &op1, &op2, &op3, &br, &e) != DW_DLV_OK) {
      if (e) dwarf_dealloc_error(w->dbg, e);
      return;
    }
    switch (atom) {
    case DW_OP_call_frame_cfa:
      known = !pending, loc = 0;
      break;
    case DW_OP_fbreg:
      known = w->fb_cfa && !pending, loc = (int64_t)op1;
      break;
    case DW_OP_consts:
    case DW_OP_constu:
      if (pending) known = 0;
      pending = 1, cst = (int64_t)op1;
      break;
    case DW_OP_plus:
    case DW_OP_minus:
      if (!pending) known = 0;
      else loc = atom == DW_OP_plus ? loc + cst : loc - cst;
      pending = 0;
      break;
    case DW_OP_plus_uconst:
      if (pending) known = 0;
      loc += (int64_t)op1;
      break;
    case DW_OP_piece:
      if (known && !pending) push_frameloc(w, var, loc, pos, op1, lo, hi);
      if (op1 > MAX_PIECE) return;
      pos += op1;
      known = pending = 0, pieces = 1;
      break;
    default:
      known = 0;
      break;
    }
  }
  if (!pieces && known && !pending) push_frameloc(w, var, loc, 0, varsize, lo, hi);
}

/* The frame locations of variable var from its DW_AT_location: a single
 * expression or a location list (each entry over its PC range). */
static void add_framelocs(walk *w, Dwarf_Die d, uint32_t var, uint64_t varsize) {
  Dwarf_Attribute a;
  Dwarf_Error e = NULL;
  if (dwarf_attr(d, DW_AT_location, &a, &e) != DW_DLV_OK) {
    if (e) dwarf_dealloc_error(w->dbg, e);
    return;
  }
  Dwarf_Loc_Head_c head = NULL;
  Dwarf_Unsigned count = 0;
  if (dwarf_get_loclist_c(a, &head, &count, &e) != DW_DLV_OK) {
    if (e) dwarf_dealloc_error(w->dbg, e);
    dwarf_dealloc_attribute(a);
    return;
  }
  unsigned int kind = 0;
  if (dwarf_get_loclist_head_kind(head, &kind, &e) != DW_DLV_OK) kind = DW_LKIND_loclist;
  if (e) dwarf_dealloc_error(w->dbg, e), e = NULL;
  for (Dwarf_Unsigned i = 0; i < count && i < MAX_LOC_ENTRIES && !w->fail; i++) {
    Dwarf_Small lle = 0, src = 0;
    Dwarf_Unsigned rawlo = 0, rawhi = 0, nops = 0, eoff = 0, doff = 0;
    Dwarf_Bool unavail = 0;
    Dwarf_Addr lo = 0, hi = 0;
    Dwarf_Locdesc_c desc = NULL;
    if (dwarf_get_locdesc_entry_d(head, i, &lle, &rawlo, &rawhi, &unavail, &lo, &hi, &nops,
                                  &desc, &src, &eoff, &doff, &e) != DW_DLV_OK) {
      if (e) dwarf_dealloc_error(w->dbg, e), e = NULL;
      break;
    }
    if (!nops || unavail) continue;
    if (kind == DW_LKIND_expression) lo = 0, hi = UINT64_MAX;
    else if (hi <= lo) continue;
    eval_loc(w, desc, nops, var, varsize, lo, hi);
  }
  dwarf_loc_head_c_dealloc(head);
  dwarf_dealloc_attribute(a);
}

/* Whether a subprogram's frame base is its CFA (Go: DW_OP_call_frame_cfa). */
static int frame_base_is_cfa(walk *w, Dwarf_Die d) {
  Dwarf_Attribute a;
  Dwarf_Error e = NULL;
  int yes = 0;
  if (dwarf_attr(d, DW_AT_frame_base, &a, &e) != DW_DLV_OK) {
    if (e) dwarf_dealloc_error(w->dbg, e);
    return 0;
  }
  Dwarf_Loc_Head_c head = NULL;
  Dwarf_Unsigned count = 0;
  if (dwarf_get_loclist_c(a, &head, &count, &e) == DW_DLV_OK) {
    Dwarf_Small lle = 0, src = 0, atom = 0;
    Dwarf_Unsigned rawlo, rawhi, nops = 0, eoff, doff, op1, op2, op3, br;
    Dwarf_Bool unavail = 0;
    Dwarf_Addr lo, hi;
    Dwarf_Locdesc_c desc = NULL;
    unsigned int kind = 0;
    if (count == 1 && dwarf_get_loclist_head_kind(head, &kind, &e) == DW_DLV_OK &&
        kind == DW_LKIND_expression &&
        dwarf_get_locdesc_entry_d(head, 0, &lle, &rawlo, &rawhi, &unavail, &lo, &hi, &nops, &desc,
                                  &src, &eoff, &doff, &e) == DW_DLV_OK &&
        nops == 1 &&
        dwarf_get_location_op_value_c(desc, 0, &atom, &op1, &op2, &op3, &br, &e) == DW_DLV_OK)
      yes = atom == DW_OP_call_frame_cfa;
    dwarf_loc_head_c_dealloc(head);
  }
  if (e) dwarf_dealloc_error(w->dbg, e);
  dwarf_dealloc_attribute(a);
  return yes;
}

static void add_var(walk *w, Dwarf_Die d, Dwarf_Half tag, const char *func) {
  ge_dwarf_var *v = GE_VEC_PUSH_SLOT(w->b->dw->vars);
  if (!v) {
    w->fail = 1;
    return;
  }
  memset(v, 0, sizeof *v);
  const char *name = die_name(w, d);
  v->param = tag == DW_TAG_formal_parameter;
  v->size = UINT64_MAX;
  v->func = keep(w->b, func);
  v->line = (uint32_t)udata(w, d, DW_AT_decl_line, 0);
  v->file = file_of(w, udata(w, d, DW_AT_decl_file, UINT64_MAX));
  Dwarf_Die t = ref_die(w, d, DW_AT_type);
  if (t) {
    v->type = keep(w->b, die_name(w, t));
    v->size = type_size(w, t);
    Dwarf_Half ttag = 0;
    Dwarf_Error e = NULL;
    if (name && name[0] == '&' && dwarf_tag(t, &ttag, &e) == DW_DLV_OK &&
        ttag == DW_TAG_pointer_type) {
      Dwarf_Die p = ref_die(w, t, DW_AT_type);
      if (p) {
        v->heap = 1;
        name++;
        v->type = keep(w->b, die_name(w, p));
        v->size = type_size(w, p);
        dwarf_dealloc_die(p);
      }
    }
    if (e) dwarf_dealloc_error(w->dbg, e);
    dwarf_dealloc_die(t);
  }
  v->name = keep(w->b, name);
  w->cu->nvariables++;
  /* a heap-moved variable's location holds its pointer */
  if (func && w->b->dwarf_want_frames && w->b->dw->vars.n <= UINT32_MAX)
    add_framelocs(w, d, (uint32_t)(w->b->dw->vars.n - 1),
                  v->heap ? (w->b->pcln.ptrsize ? w->b->pcln.ptrsize : 8) : v->size);
}

static void add_member(walk *w, Dwarf_Die d) {
  ge_dwarf_member *m = GE_VEC_PUSH_SLOT(w->b->dw->members);
  if (!m) {
    w->fail = 1;
    return;
  }
  memset(m, 0, sizeof *m);
  m->owner = w->owner;
  m->name = keep(w->b, die_name(w, d));
  m->offset = udata(w, d, DW_AT_data_member_location, UINT64_MAX);
  Dwarf_Die t = ref_die(w, d, DW_AT_type);
  if (t) {
    m->type = keep(w->b, die_name(w, t));
    dwarf_dealloc_die(t);
  }
}

static void walk_die(walk *w, Dwarf_Die d, int depth, const char *func, const char *caller,
                     uint32_t idepth) {
  if (depth > MAX_DIE_DEPTH || w->fail) return;
  Dwarf_Error e = NULL;
  Dwarf_Half tag = 0;
  if (dwarf_tag(d, &tag, &e) != DW_DLV_OK) {
    if (e) dwarf_dealloc_error(w->dbg, e);
    return;
  }
  const char *here = func, *nextcaller = caller;
  uint32_t nextdepth = idepth;
  switch (tag) {
  case DW_TAG_subprogram: {
    w->cu->nsubprograms++;
    const char *n = die_name(w, d);
    if (n) here = n, nextcaller = n;
    nextdepth = 0;
    w->fb_cfa = frame_base_is_cfa(w, d);
    break;
  }
  case DW_TAG_inlined_subroutine: {
    w->cu->ninlined++;
    ge_dwarf_inline *r = GE_VEC_PUSH_SLOT(w->b->dw->inl);
    if (!r) {
      w->fail = 1;
      return;
    }
    memset(r, 0, sizeof *r);
    Dwarf_Die o = ref_die(w, d, DW_AT_abstract_origin);
    const char *n = o ? die_name(w, o) : NULL;
    r->func = keep(w->b, n);
    r->caller = keep(w->b, caller);
    r->call_line = (uint32_t)udata(w, d, DW_AT_call_line, 0);
    r->call_file = file_of(w, udata(w, d, DW_AT_call_file, UINT64_MAX));
    r->depth = idepth + 1;
    Dwarf_Addr lo = 0, hi = 0;
    Dwarf_Half form = 0;
    enum Dwarf_Form_Class cls;
    if (dwarf_lowpc(d, &lo, &e) == DW_DLV_OK &&
        dwarf_highpc_b(d, &hi, &form, &cls, &e) == DW_DLV_OK) {
      r->low_pc = lo;
      r->high_pc = cls == DW_FORM_CLASS_CONSTANT ? lo + hi : hi;
    }
    if (e) {
      dwarf_dealloc_error(w->dbg, e);
      e = NULL;
    }
    nextcaller = r->func.len ? r->func.ptr : caller;
    nextdepth = idepth + 1;
    if (o) dwarf_dealloc_die(o);
    break;
  }
  case DW_TAG_variable:
  case DW_TAG_formal_parameter:
    add_var(w, d, tag, func);
    break;
  case DW_TAG_member:
    if (w->owner.len) add_member(w, d);
    break;
  default:
    break;
  }
  /* a struct's members name it as their owner (an unnamed one: none) */
  ge_strview outer = w->owner;
  if (tag == DW_TAG_structure_type) w->owner = keep(w->b, die_name(w, d));
  else if (tag != DW_TAG_member) w->owner.len = 0;
  Dwarf_Die c = NULL;
  if (dwarf_child(d, &c, &e) != DW_DLV_OK) {
    if (e) dwarf_dealloc_error(w->dbg, e);
    w->owner = outer;
    return;
  }
  while (c && !w->fail) {
    walk_die(w, c, depth + 1, here, nextcaller, nextdepth);
    Dwarf_Die s = NULL;
    int rc = dwarf_siblingof_b(w->dbg, c, 1, &s, &e);
    dwarf_dealloc_die(c);
    if (rc != DW_DLV_OK) {
      if (e) dwarf_dealloc_error(w->dbg, e);
      break;
    }
    c = s;
  }
  w->owner = outer;
}

/* Whether a unit name is in the filter ("a\nb\nc"); every unit without one. */
static int wanted(const char *filter, const char *name) {
  if (!filter) return 1;
  if (!name) return 0;
  size_t n = strlen(name);
  for (const char *p = filter; *p;) {
    const char *e = strchr(p, '\n');
    size_t m = e ? (size_t)(e - p) : strlen(p);
    if (m == n && memcmp(p, name, n) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

static ge_err load(ge_binary *b, int fd, ge_error *err) {
  Dwarf_Debug dbg = NULL;
  Dwarf_Error e = NULL;
  int rc = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &dbg, &e);
  if (rc == DW_DLV_NO_ENTRY) return ge_fail(err, GE_ERR_NOTFOUND, "no DWARF");
  if (rc != DW_DLV_OK) {
    ge_fail(err, GE_ERR_FORMAT, "DWARF: %s", e ? dwarf_errmsg(e) : "cannot read");
    if (e) dwarf_dealloc_error(NULL, e);
    return GE_ERR_FORMAT;
  }
  b->dw = calloc(1, sizeof *b->dw);
  if (!b->dw) {
    dwarf_finish(dbg, &e);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  walk w = {b, dbg, NULL, NULL, 0, 0, {NULL, 0}, 0};
  b->dwarf_frames = b->dwarf_want_frames;
  for (;;) {
    Dwarf_Unsigned hlen, abbr, next;
    Dwarf_Half ver, asz, osz, xsz, utype;
    Dwarf_Sig8 sig;
    Dwarf_Unsigned toff;
    rc = dwarf_next_cu_header_d(dbg, 1, &hlen, &ver, &abbr, &asz, &osz, &xsz, &sig, &toff,
                                &next, &utype, &e);
    if (rc != DW_DLV_OK) break;
    Dwarf_Die cu = NULL;
    if (dwarf_siblingof_b(dbg, NULL, 1, &cu, &e) != DW_DLV_OK) break;
    if (b->dwarf_units && !wanted(b->dwarf_units, die_name(&w, cu))) {
      dwarf_dealloc_die(cu);
      continue;
    }
    ge_dwarf_cu *c = GE_VEC_PUSH_SLOT(b->dw->cus);
    if (!c) {
      dwarf_dealloc_die(cu);
      w.fail = 1;
      break;
    }
    memset(c, 0, sizeof *c);
    c->version = ver;
    if (ver > b->dw->max_version) b->dw->max_version = ver;
    c->name = keep(b, die_name(&w, cu));
    char *prod = NULL;
    Dwarf_Attribute a;
    if (dwarf_attr(cu, DW_AT_producer, &a, &e) == DW_DLV_OK) {
      if (dwarf_formstring(a, &prod, &e) == DW_DLV_OK) {
        c->producer = keep(b, prod);
        const char *semi = strchr(c->producer.ptr, ';');
        if (semi) {
          c->flags.ptr = semi + 1 + (semi[1] == ' ');
          c->flags.len = c->producer.len - (size_t)(c->flags.ptr - c->producer.ptr);
        }
      }
      dwarf_dealloc_attribute(a);
    }
    w.cu = c;
    w.files = NULL;
    w.nfiles = 0;
    if (dwarf_srcfiles(cu, &w.files, &w.nfiles, &e) != DW_DLV_OK) w.files = NULL, w.nfiles = 0;
    walk_die(&w, cu, 0, NULL, NULL, 0);
    if (w.files) {
      for (Dwarf_Signed i = 0; i < w.nfiles; i++) dwarf_dealloc(dbg, w.files[i], DW_DLA_STRING);
      dwarf_dealloc(dbg, w.files, DW_DLA_LIST);
    }
    dwarf_dealloc_die(cu);
    if (w.fail) break;
  }
  if (e) dwarf_dealloc_error(dbg, e);
  dwarf_finish(dbg, &e);
  if (w.fail) return ge_fail(err, GE_ERR_NOMEM, "out of memory reading DWARF");
  return GE_OK;
}

ge_err ge_binary_dwarf_load(ge_binary *b, ge_dwarf_stats *out, ge_error *err) {
  return ge_binary_dwarf_load_units(b, NULL, 0, out, err);
}

ge_err ge_binary_dwarf_load_units(ge_binary *b, const char *const *units, size_t nunits,
                                  ge_dwarf_stats *out, ge_error *err) {
  char *filter = NULL;
  if (nunits) {
    size_t len = 1;
    for (size_t i = 0; i < nunits; i++) len += strlen(units[i] ? units[i] : "") + 1;
    filter = malloc(len);
    if (!filter) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    char *w = filter;
    for (size_t i = 0; i < nunits; i++) {
      size_t m = strlen(units[i] ? units[i] : "");
      memcpy(w, units[i] ? units[i] : "", m);
      w += m;
      *w++ = '\n';
    }
    w[-1] = 0;
  }
  /* Another set than the one loaded: load again. */
  int same = (!filter && !b->dwarf_units) ||
             (filter && b->dwarf_units && strcmp(filter, b->dwarf_units) == 0);
  if (b->dwarf_loaded && !same && !b->dwarf_rc) {
    ge_dwarf_free(b);
    b->dwarf_loaded = 0;
  }
  if (!b->dwarf_loaded) {
    free(b->dwarf_units);
    b->dwarf_units = filter;
    filter = NULL;
  }
  free(filter);
  if (!b->dwarf_loaded) {
    /* libdwarf reads a descriptor: the one the binary was opened with, while
     * it is still that file (never the path again, which may name a binary
     * rebuilt since). A binary read into memory (a pipe, a FIFO, bytes from
     * the caller) is given to it as a memfd copy. */
    int fd = -1, lazy = b->map.lazy != NULL;
    if (lazy) {
      int same = ge_map_fd_if_same(&b->map);
      if (same < 0) return ge_changed(b, err);
      fd = dup(same);
    } else {
      fd = memfd_create("ge-dwarf", MFD_CLOEXEC);
      if (fd >= 0) {
        size_t done = 0;
        while (done < b->map.size) {
          ssize_t r = write(fd, b->map.data + done, b->map.size - done);
          if (r <= 0) break;
          done += (size_t)r;
        }
      }
    }
    if (fd < 0) return ge_fail(err, GE_ERR_IO, "%s: cannot read DWARF: %s", b->name, strerror(errno));
    ge_err rc = load(b, fd, err);
    close(fd);
    if (rc) ge_error_prefix(err, b->name);
    if (rc == GE_ERR_NOTFOUND || rc == GE_ERR_FORMAT) {
      b->dwarf_loaded = 1;
      b->dwarf_rc = rc;
      memcpy(b->dwarf_msg, err ? err->msg : "", sizeof b->dwarf_msg);
      b->dwarf_msg[sizeof b->dwarf_msg - 1] = 0;
    } else if (rc) {
      return rc;
    }
    b->dwarf_loaded = 1;
  }
  if (b->dwarf_rc) return ge_fail(err, b->dwarf_rc, "%s", b->dwarf_msg);
  memset(out, 0, sizeof *out);
  out->ncus = b->dw->cus.n;
  out->nvariables = b->dw->vars.n;
  out->ninlined = b->dw->inl.n;
  out->max_version = b->dw->max_version;
  for (size_t i = 0; i < b->dw->cus.n; i++) out->nsubprograms += b->dw->cus.v[i].nsubprograms;
  return GE_OK;
}

/* Reading the locations costs a load of every unit about half again, so
 * only the loads that want them read them; a load without them is
 * replaced. */
ge_err ge_binary_dwarf_load_frames(ge_binary *b, const char *const *units, size_t nunits,
                                   ge_dwarf_stats *out, ge_error *err) {
  if (b->dwarf_loaded && !b->dwarf_rc && !b->dwarf_frames) {
    ge_dwarf_free(b);
    b->dwarf_loaded = 0;
  }
  b->dwarf_want_frames = 1;
  ge_err rc = ge_binary_dwarf_load_units(b, units, nunits, out, err);
  b->dwarf_want_frames = 0;
  return rc;
}

void ge_dwarf_free(ge_binary *b) {
  if (!b->dw) return;
  /* (b->dwarf_units is freed with the binary: it names what b->dw holds) */
  GE_VEC_FREE(b->dw->cus);
  GE_VEC_FREE(b->dw->vars);
  GE_VEC_FREE(b->dw->inl);
  GE_VEC_FREE(b->dw->members);
  GE_VEC_FREE(b->dw->framelocs);
  free(b->dw);
  b->dw = NULL;
}

ge_err ge_binary_dwarf_cu(const ge_binary *b, size_t i, ge_dwarf_cu *out) {
  if (!b->dw || i >= b->dw->cus.n) return GE_ERR_ARG;
  *out = b->dw->cus.v[i];
  return GE_OK;
}

ge_err ge_binary_dwarf_var(const ge_binary *b, size_t i, ge_dwarf_var *out) {
  if (!b->dw || i >= b->dw->vars.n) return GE_ERR_ARG;
  *out = b->dw->vars.v[i];
  return GE_OK;
}

ge_err ge_binary_dwarf_inline(const ge_binary *b, size_t i, ge_dwarf_inline *out) {
  if (!b->dw || i >= b->dw->inl.n) return GE_ERR_ARG;
  *out = b->dw->inl.v[i];
  return GE_OK;
}

size_t ge_binary_dwarf_nmembers(const ge_binary *b) { return b->dw ? b->dw->members.n : 0; }

ge_err ge_binary_dwarf_member(const ge_binary *b, size_t i, ge_dwarf_member *out) {
  if (!b->dw || i >= b->dw->members.n) return GE_ERR_ARG;
  *out = b->dw->members.v[i];
  return GE_OK;
}

size_t ge_binary_dwarf_nframelocs(const ge_binary *b) { return b->dw ? b->dw->framelocs.n : 0; }

ge_err ge_binary_dwarf_frameloc(const ge_binary *b, size_t i, ge_dwarf_frameloc *out) {
  if (!b->dw || i >= b->dw->framelocs.n) return GE_ERR_ARG;
  *out = b->dw->framelocs.v[i];
  return GE_OK;
}
