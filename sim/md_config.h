/*
 * Config header of the build that measures vmkit with an embedder's
 * inline platform hooks (`make MD=1` names it VMK_CONFIG_USER_HEADER):
 * the simulator's interrupt and CPU-id hooks, inline (sim/md_hooks.h).
 */
#ifndef VMKIT_SIM_MD_CONFIG_H
#define VMKIT_SIM_MD_CONFIG_H

#define VMK_MD_INLINE_HOOKS	1
#define VMK_MD_HOOKS_HEADER	"../../sim/md_hooks.h"

#endif /* VMKIT_SIM_MD_CONFIG_H */
