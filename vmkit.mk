# vmkit.mk: the makefile fragment an embedding kernel includes to compile
# vmkit's core inside its own build (GNU make).
#
# Set before `include path/to/vmkit/vmkit.mk` (all optional):
#   VMKIT_DIR     where vmkit is                 (default: this file's folder)
#   VMKIT_ARCHS   page-table formats compiled in: x86_64 arm64 riscv64
#                                                (default: all of them)
#   VMKIT_TARGET  the CPU the kernel runs on: x86_64, arm64 or riscv64
#                                                (default: the first of VMKIT_ARCHS)
#   VMKIT_CC_KIND gcc or clang                   (default: guessed from $(CC))
#   VMKIT_CONFIG  your config header, a file name the compiler can find
#                 (becomes VMK_CONFIG_USER_HEADER; see include/vmkit/config.h)
#
# Then use:
#   VMKIT_SRCS    the core's .c files for VMKIT_ARCHS
#   VMKIT_HDRS    the public headers
#   VMKIT_CFLAGS  what compiling them requires: include path,
#                 freestanding, the architecture's flags for that compiler,
#                 which formats are compiled in, and the config header.
#                 No -std: the core builds in any C11-or-later mode, ISO
#                 or GNU, so it may go into the kernel's own CFLAGS (whose
#                 GNU C needs asm and typeof). Add your own optimisation
#                 and warning flags.
#   VMKIT_VERSION the library version (include/vmkit/version.h)
#   $(call vmkit_arch_cflags,KIND,ARCH[,CC]) the per-compiler,
#                 per-architecture part of VMKIT_CFLAGS for any pair (KIND
#                 gcc or clang; CC the compiler, default $(CC)).

# Inputs are stripped: `VAR := value   # comment` keeps the spaces before
# the comment in the value.
VMKIT_DIR := $(strip $(VMKIT_DIR))
ifeq ($(VMKIT_DIR),)
VMKIT_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
endif
VMKIT_ALL_ARCHS := x86_64 arm64 riscv64
VMKIT_ARCHS ?= $(VMKIT_ALL_ARCHS)
VMKIT_TARGET ?= $(firstword $(VMKIT_ARCHS))
VMKIT_CC_KIND ?= $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1)),clang,gcc)
VMKIT_ARCHS := $(strip $(VMKIT_ARCHS))
VMKIT_TARGET := $(strip $(VMKIT_TARGET))
VMKIT_CC_KIND := $(strip $(VMKIT_CC_KIND))
VMKIT_CONFIG := $(strip $(VMKIT_CONFIG))

ifneq ($(filter-out $(VMKIT_ALL_ARCHS),$(VMKIT_ARCHS)),)
$(error vmkit.mk: unknown architecture in VMKIT_ARCHS: $(filter-out $(VMKIT_ALL_ARCHS),$(VMKIT_ARCHS)) (known: $(VMKIT_ALL_ARCHS)))
endif
ifeq ($(filter $(VMKIT_TARGET),$(VMKIT_ARCHS)),)
$(error vmkit.mk: VMKIT_TARGET '$(VMKIT_TARGET)' is not in VMKIT_ARCHS ($(VMKIT_ARCHS)))
endif

# make splits a path with a space into words, and a mistyped VMKIT_DIR finds
# no sources: either would leave VMKIT_SRCS empty and fail at link time.
ifeq ($(wildcard $(VMKIT_DIR)/include/vmkit/version.h),)
$(error vmkit.mk: no vmkit in VMKIT_DIR '$(VMKIT_DIR)': set VMKIT_DIR to the folder of vmkit.mk (make cannot handle a path with a space in it))
endif

VMKIT_SRCS := $(sort $(wildcard $(VMKIT_DIR)/src/*/*.c)) \
	$(foreach a,$(VMKIT_ARCHS),$(wildcard $(VMKIT_DIR)/src/*/arch/$(a).c))
VMKIT_HDRS := $(sort $(wildcard $(VMKIT_DIR)/include/vmkit/*.h))

VMKIT_VERSION := $(shell sed -n 's/^\#define VMK_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]*\([0-9]*\).*/\2/p' \
	$(VMKIT_DIR)/include/vmkit/version.h | paste -sd. -)

# No red zone (interrupts use the kernel stack) and no FP/SIMD registers in
# kernel code. On arm64 both compilers must inline the atomics instead of
# calling libgcc's outline helpers (as Linux builds): clang turns those on
# by default for linux targets too.
vmkit_flags_gcc_x86_64 := -mno-red-zone -mgeneral-regs-only
vmkit_flags_clang_x86_64 := -mno-red-zone -mgeneral-regs-only
vmkit_flags_gcc_arm64 := -mgeneral-regs-only -mno-outline-atomics
vmkit_flags_clang_arm64 := -mgeneral-regs-only -mno-outline-atomics
# riscv64: no F/D (the kernel's FP state is the user's), code and data
# anywhere in the address space (medany: a kernel linked high). The CSR
# instructions and fence.i a kernel's own files use are the Zicsr and
# Zifencei extensions since ISA spec 20191213 (gcc 12, binutils 2.38), so
# -march names them where the compiler (the third argument of
# vmkit_arch_cflags, default $(CC)) accepts them; older compilers, and
# clang before 17, reject the names and imply the instructions.
vmkit_rv_zicsr = $(shell $(1) $(2) -march=rv64imac_zicsr_zifencei -mabi=lp64 -x c -c -o /dev/null /dev/null >/dev/null 2>&1 && echo _zicsr_zifencei)
vmkit_flags_gcc_riscv64 = -march=rv64imac$(call vmkit_rv_zicsr,$(or $(3),$(CC))) -mabi=lp64 -mcmodel=medany
vmkit_flags_clang_riscv64 = -march=rv64imac$(call vmkit_rv_zicsr,$(or $(3),$(CC)),--target=riscv64-unknown-elf) -mabi=lp64 -mcmodel=medany
vmkit_macro_x86_64 := X86_64
vmkit_macro_arm64 := ARM64
vmkit_macro_riscv64 := RISCV64
vmkit_arch_cflags = $(if $(filter undefined,$(origin vmkit_flags_$(1)_$(2))),$(error vmkit.mk: no flags for compiler '$(1)' and architecture '$(2)'),$(vmkit_flags_$(1)_$(2)))

VMKIT_CFLAGS := -ffreestanding -fno-strict-aliasing \
	-I$(VMKIT_DIR)/include \
	$(call vmkit_arch_cflags,$(VMKIT_CC_KIND),$(VMKIT_TARGET)) \
	$(foreach a,$(filter-out $(VMKIT_ARCHS),$(VMKIT_ALL_ARCHS)),-DVMK_PMAP_NO_$(vmkit_macro_$(a))=1) \
	$(if $(VMKIT_CONFIG),-DVMK_CONFIG_USER_HEADER='"$(VMKIT_CONFIG)"')
