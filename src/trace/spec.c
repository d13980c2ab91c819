/* The event table of Go's v2 execution trace format (Go 1.22 through 1.27;
 * Go 1.24 writes "go 1.23 trace", Go 1.27 "go 1.26 trace"). Type numbers
 * never changed between versions: later versions only append, so one table
 * with the version that introduced each type serves every version. Names and
 * argument names are the ones `go tool trace -d=wire` prints (Go's
 * src/internal/trace/tracev2/events.go). */
#include <string.h>

#include "trace/internal.h"

#define N GE_TRACE_ARG_NUM
#define S GE_TRACE_ARG_STRING
#define K GE_TRACE_ARG_STACK

/* args: the wire arguments after the event's time delta (dt). */
const ge_trace_spec ge_trace_specs[GE_TRACE_NTYPES] = {
    [1] = {"EventBatch", 22, GE_TRACE_SPEC_STRUCT, 4, {"gen", "m", "time", "size"}, {N, N, N, N}},
    [2] = {"Stacks", 22, GE_TRACE_SPEC_STRUCT, 0, {0}, {0}},
    [3] = {"Stack", 22, GE_TRACE_SPEC_STRUCT, 2, {"id", "nframes"}, {N, N}},
    [4] = {"Strings", 22, GE_TRACE_SPEC_STRUCT, 0, {0}, {0}},
    [5] = {"String", 22, GE_TRACE_SPEC_STRUCT, 1, {"id"}, {N}},
    [6] = {"CPUSamples", 22, GE_TRACE_SPEC_STRUCT, 0, {0}, {0}},
    [7] = {"CPUSample", 22, GE_TRACE_SPEC_TABLE_EVENT, 5, {"time", "m", "p", "g", "stack"}, {N, N, N, N, K}},
    [8] = {"Frequency", 22, GE_TRACE_SPEC_TABLE_EVENT, 1, {"freq"}, {N}},
    [9] = {"ProcsChange", 22, GE_TRACE_SPEC_TIMED, 2, {"procs_value", "stack"}, {N, K}},
    [10] = {"ProcStart", 22, GE_TRACE_SPEC_TIMED, 2, {"p", "p_seq"}, {N, N}},
    [11] = {"ProcStop", 22, GE_TRACE_SPEC_TIMED, 0, {0}, {0}},
    [12] = {"ProcSteal", 22, GE_TRACE_SPEC_TIMED, 3, {"p", "p_seq", "m"}, {N, N, N}},
    [13] = {"ProcStatus", 22, GE_TRACE_SPEC_TIMED, 2, {"p", "pstatus"}, {N, N}},
    [14] = {"GoCreate", 22, GE_TRACE_SPEC_TIMED, 3, {"new_g", "new_stack", "stack"}, {N, K, K}},
    [15] = {"GoCreateSyscall", 22, GE_TRACE_SPEC_TIMED, 1, {"new_g"}, {N}},
    [16] = {"GoStart", 22, GE_TRACE_SPEC_TIMED, 2, {"g", "g_seq"}, {N, N}},
    [17] = {"GoDestroy", 22, GE_TRACE_SPEC_TIMED, 0, {0}, {0}},
    [18] = {"GoDestroySyscall", 22, GE_TRACE_SPEC_TIMED, 0, {0}, {0}},
    [19] = {"GoStop", 22, GE_TRACE_SPEC_TIMED, 2, {"reason_string", "stack"}, {S, K}},
    [20] = {"GoBlock", 22, GE_TRACE_SPEC_TIMED, 2, {"reason_string", "stack"}, {S, K}},
    [21] = {"GoUnblock", 22, GE_TRACE_SPEC_TIMED, 3, {"g", "g_seq", "stack"}, {N, N, K}},
    [22] = {"GoSyscallBegin", 22, GE_TRACE_SPEC_TIMED, 2, {"p_seq", "stack"}, {N, K}},
    [23] = {"GoSyscallEnd", 22, GE_TRACE_SPEC_TIMED, 0, {0}, {0}},
    [24] = {"GoSyscallEndBlocked", 22, GE_TRACE_SPEC_TIMED, 0, {0}, {0}},
    [25] = {"GoStatus", 22, GE_TRACE_SPEC_TIMED, 3, {"g", "m", "gstatus"}, {N, N, N}},
    [26] = {"STWBegin", 22, GE_TRACE_SPEC_TIMED, 2, {"kind_string", "stack"}, {S, K}},
    [27] = {"STWEnd", 22, GE_TRACE_SPEC_TIMED, 0, {0}, {0}},
    [28] = {"GCActive", 22, GE_TRACE_SPEC_TIMED, 1, {"gc_seq"}, {N}},
    [29] = {"GCBegin", 22, GE_TRACE_SPEC_TIMED, 2, {"gc_seq", "stack"}, {N, K}},
    [30] = {"GCEnd", 22, GE_TRACE_SPEC_TIMED, 1, {"gc_seq"}, {N}},
    [31] = {"GCSweepActive", 22, GE_TRACE_SPEC_TIMED, 1, {"p"}, {N}},
    [32] = {"GCSweepBegin", 22, GE_TRACE_SPEC_TIMED, 1, {"stack"}, {K}},
    [33] = {"GCSweepEnd", 22, GE_TRACE_SPEC_TIMED, 2, {"swept_value", "reclaimed_value"}, {N, N}},
    [34] = {"GCMarkAssistActive", 22, GE_TRACE_SPEC_TIMED, 1, {"g"}, {N}},
    [35] = {"GCMarkAssistBegin", 22, GE_TRACE_SPEC_TIMED, 1, {"stack"}, {K}},
    [36] = {"GCMarkAssistEnd", 22, GE_TRACE_SPEC_TIMED, 0, {0}, {0}},
    [37] = {"HeapAlloc", 22, GE_TRACE_SPEC_TIMED, 1, {"heapalloc_value"}, {N}},
    [38] = {"HeapGoal", 22, GE_TRACE_SPEC_TIMED, 1, {"heapgoal_value"}, {N}},
    [39] = {"GoLabel", 22, GE_TRACE_SPEC_TIMED, 1, {"label_string"}, {S}},
    [40] = {"UserTaskBegin", 22, GE_TRACE_SPEC_TIMED, 4, {"task", "parent_task", "name_string", "stack"}, {N, N, S, K}},
    [41] = {"UserTaskEnd", 22, GE_TRACE_SPEC_TIMED, 2, {"task", "stack"}, {N, K}},
    [42] = {"UserRegionBegin", 22, GE_TRACE_SPEC_TIMED, 3, {"task", "name_string", "stack"}, {N, S, K}},
    [43] = {"UserRegionEnd", 22, GE_TRACE_SPEC_TIMED, 3, {"task", "name_string", "stack"}, {N, S, K}},
    [44] = {"UserLog", 22, GE_TRACE_SPEC_TIMED, 4, {"task", "key_string", "value_string", "stack"}, {N, S, S, K}},
    [45] = {"GoSwitch", 23, GE_TRACE_SPEC_TIMED, 2, {"g", "g_seq"}, {N, N}},
    [46] = {"GoSwitchDestroy", 23, GE_TRACE_SPEC_TIMED, 2, {"g", "g_seq"}, {N, N}},
    [47] = {"GoCreateBlocked", 23, GE_TRACE_SPEC_TIMED, 3, {"new_g", "new_stack", "stack"}, {N, K, K}},
    [48] = {"GoStatusStack", 23, GE_TRACE_SPEC_TIMED, 4, {"g", "m", "gstatus", "stack"}, {N, N, N, K}},
    [49] = {"ExperimentalBatch", 23, GE_TRACE_SPEC_STRUCT, 4, {"exp", "gen", "m", "time"}, {N, N, N, N}},
    [50] = {"Sync", 25, GE_TRACE_SPEC_STRUCT, 0, {0}, {0}},
    [51] = {"ClockSnapshot", 25, GE_TRACE_SPEC_TABLE_EVENT, 3, {"mono", "sec", "nsec"}, {N, N, N}},
    [52] = {"EndOfGeneration", 26, GE_TRACE_SPEC_STRUCT, 0, {0}, {0}},
    /* The AllocFree experiment (GODEBUG=traceallocfree=1): its events sit in
     * ordinary event batches; only its type table is an experimental batch. */
    [128] = {"Span", 23, GE_TRACE_SPEC_TIMED, 3, {"id", "npages_value", "kindclass"}, {N, N, N}},
    [129] = {"SpanAlloc", 23, GE_TRACE_SPEC_TIMED, 3, {"id", "npages_value", "kindclass"}, {N, N, N}},
    [130] = {"SpanFree", 23, GE_TRACE_SPEC_TIMED, 1, {"id"}, {N}},
    [131] = {"HeapObject", 23, GE_TRACE_SPEC_TIMED, 2, {"id", "type"}, {N, N}},
    [132] = {"HeapObjectAlloc", 23, GE_TRACE_SPEC_TIMED, 2, {"id", "type"}, {N, N}},
    [133] = {"HeapObjectFree", 23, GE_TRACE_SPEC_TIMED, 1, {"id"}, {N}},
    [134] = {"GoroutineStack", 23, GE_TRACE_SPEC_TIMED, 2, {"id", "order"}, {N, N}},
    [135] = {"GoroutineStackAlloc", 23, GE_TRACE_SPEC_TIMED, 2, {"id", "order"}, {N, N}},
    [136] = {"GoroutineStackFree", 23, GE_TRACE_SPEC_TIMED, 1, {"id"}, {N}},
};

const char *ge_trace_type_name(unsigned type) {
  return type < GE_TRACE_NTYPES ? ge_trace_specs[type].name : NULL;
}

int ge_trace_type_id(const char *name) {
  if (!name) return -1;
  for (int i = 0; i < GE_TRACE_NTYPES; i++)
    if (ge_trace_specs[i].name && strcmp(ge_trace_specs[i].name, name) == 0) return i;
  return -1;
}

int ge_trace_type_is_event(unsigned type) {
  return type < GE_TRACE_NTYPES && ge_trace_specs[type].name &&
         ge_trace_specs[type].kind != GE_TRACE_SPEC_STRUCT;
}

unsigned ge_trace_type_nargs(unsigned type) {
  return type < GE_TRACE_NTYPES ? ge_trace_specs[type].nargs : 0;
}

const char *ge_trace_arg_name(unsigned type, unsigned i, ge_trace_arg_kind *kind) {
  if (type >= GE_TRACE_NTYPES || i >= ge_trace_specs[type].nargs) return NULL;
  if (kind) *kind = (ge_trace_arg_kind)ge_trace_specs[type].argkind[i];
  return ge_trace_specs[type].args[i];
}
