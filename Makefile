# vmkit build. See README.md for the targets; docs/building.md for embedding.
#
#   make              libvmkit.a and the vmkit tool
#   make run          the main job on the embedded default machine
#   make check        every test (SAN=1: ASan+UBSan build, TSAN=1: ThreadSanitizer)
#   make mutate       targeted mutations of the core, each must be killed (tools/mutate, docs/testing.md)
#   make bench        benchmarks of the release build (VMK_DEBUG=0); figures in bench/out/latest.json
#   make freestanding compile the core for x86_64 and aarch64 with gcc and clang
#   make linux-oracle boot Debian's Linux under QEMU, store what it shows (tests/data/linux)
#   make install      headers, libvmkit.a, vmkit, vmkit(1), vmkit.pc
#                     under $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall
#
# An embedding kernel compiles the core in its own build through vmkit.mk.

CC      ?= cc
SAN     ?= 0
TSAN    ?= 0

BUILD   := build
ifeq ($(SAN),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifeq ($(TSAN),1)
BUILD   := build-tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
endif
# COV=1: gcov instrumentation (make coverage, tools/coverage.mk).
COV     ?= 0
ifeq ($(COV),1)
BUILD   := build-cov
SANFLAGS := --coverage
OPT     := -O1 -g
endif
# REL=1: the release build benchmarks measure (invariant assertions out).
REL     ?= 0
ifeq ($(REL),1)
BUILD   := build-rel
RELFLAGS := -DVMK_DEBUG=0
endif
# MD=1: the core calls the simulator's interrupt and CPU-id hooks inline
# (sim/md_config.h as VMK_CONFIG_USER_HEADER, sim/md_hooks.h), as an
# embedder with inline hooks builds it: `make bench MD=1`, `make check MD=1`.
MD      ?= 0
ifeq ($(MD),1)
BUILD   := $(BUILD)-md
RELFLAGS += -DVMK_CONFIG_USER_HEADER='"../../sim/md_config.h"'
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT     ?= -O2 -g
CFLAGS_CORE := -std=c11 $(OPT) $(WARN) -Iinclude -fno-strict-aliasing $(SANFLAGS) $(RELFLAGS)
CFLAGS_HOST := -std=gnu11 $(OPT) $(WARN) -Wno-missing-prototypes -Iinclude -Isim -Itests $(SANFLAGS) $(RELFLAGS) -D_GNU_SOURCE
LDLIBS_HOST := -lfdt -lpthread -lm
TEST_LIBS := -lcmocka

CORE_SRC  := $(sort $(wildcard src/*/*.c src/*/arch/*.c))
SIM_SRC   := $(sort $(wildcard sim/*.c))
TOOL_SRC  := $(sort $(wildcard tools/vmkit/*.c))
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_COMMON := $(sort $(filter-out $(TEST_SRC),$(wildcard tests/*.c)))
BENCH_SRC := $(sort $(wildcard bench/*.c))

CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ   := $(SIM_SRC:%.c=$(BUILD)/%.o)
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/default_machine.o $(BUILD)/gen/default_boot.o
TEST_COMMON_OBJ := $(TEST_COMMON:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

LIB       := $(BUILD)/libvmkit.a
SIMLIB    := $(BUILD)/libvmksim.a
VMKIT     := $(BUILD)/vmkit

DEFAULT_MACHINE := examples/machines/qemu-q35-ovmf-x86_64-4G.efimap
DEFAULT_BOOT    := examples/machines/q35-4G.machine

.SECONDARY:
.PHONY: all run qemu-x86_64 qemu-aarch64 qemu-riscv64 linux-oracle check check-deps test-bin bench freestanding fuzz deps fuzz-deps clean install uninstall
all: deps $(LIB) $(VMKIT) $(BUILD)/vmkit.1

include vmkit.mk

# Installs the build dependencies on Debian when they are missing (as root).
deps:
	@sh tools/deps.sh build

$(BUILD)/src/%.o: src/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_CORE) -MMD -MP -c $< -o $@

$(BUILD)/sim/%.o: sim/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@
$(BUILD)/tools/%.o: tools/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@
$(BUILD)/tests/%.o: tests/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@
$(BUILD)/bench/%.o: bench/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@

# The default machine is embedded in the tool, so `vmkit memmap` needs no file.
$(BUILD)/gen/default_machine.c: $(DEFAULT_MACHINE) tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed.sh $(DEFAULT_MACHINE) vmkit_default_machine > $@
$(BUILD)/gen/default_machine.o: $(BUILD)/gen/default_machine.c
	$(CC) $(CFLAGS_HOST) -c $< -o $@
# The machine description `vmkit boot` (and `make run`) uses without a file.
$(BUILD)/gen/default_boot.c: $(DEFAULT_BOOT) tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed.sh $(DEFAULT_BOOT) vmkit_default_boot > $@
$(BUILD)/gen/default_boot.o: $(BUILD)/gen/default_boot.c
	$(CC) $(CFLAGS_HOST) -c $< -o $@

$(LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SIMLIB): $(SIM_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(VMKIT): $(TOOL_OBJ) $(SIMLIB) $(LIB)
	$(CC) $(SANFLAGS) -o $@ $(TOOL_OBJ) $(SIMLIB) $(LIB) $(LDLIBS_HOST)

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_COMMON_OBJ) $(SIMLIB) $(LIB)
	$(CC) $(SANFLAGS) -o $@ $< $(TEST_COMMON_OBJ) $(SIMLIB) $(LIB) $(TEST_LIBS) $(LDLIBS_HOST)

# The benchmarks link the tool's code too (bench_boot.c times `vmkit boot`'s phases).
BENCH_TOOL_OBJ := $(filter-out $(BUILD)/tools/vmkit/main.o,$(TOOL_OBJ))
$(BUILD)/bench/vmkit-bench: $(BENCH_SRC:%.c=$(BUILD)/%.o) $(BENCH_TOOL_OBJ) $(SIMLIB) $(LIB)
	$(CC) $(SANFLAGS) -o $@ $(filter %.o,$^) $(SIMLIB) $(LIB) $(LDLIBS_HOST)

# The fuzz targets: corpus replays (make check) and libFuzzer runs (make fuzz).
include fuzz/fuzz.mk

run: all
	$(VMKIT) boot

# The demo kernel booted under QEMU with the kernel's exit status (kernel/, docs/kernel.md).
qemu-x86_64 qemu-aarch64:
	@sh tools/deps.sh qemu
	@$(MAKE) --no-print-directory -C kernel ARCH=$(if $(filter qemu-x86_64,$@),x86_64,arm64) run
qemu-riscv64:
	@sh tools/deps.sh qemu-riscv64
	@$(MAKE) --no-print-directory -C kernel ARCH=riscv64 run

# Linux itself under QEMU as the oracle: boots the matrix and stores the runs
# in tests/data/linux/ (docs/linux-oracle.md); make check uses the stored runs.
linux-oracle:
	@sh tools/linux-oracle/oracle.sh

# The benchmark program is built with the tests (and smoke-run by
# tests/test_bench.sh) so it cannot rot between `make bench` runs.
test-bin: deps $(TEST_BIN) $(FUZZ_REPLAY) $(VMKIT) $(BUILD)/bench/vmkit-bench

# Shell tests (install, the example embedder) build their own way; they run
# once, in the plain build.
TEST_SH := $(if $(filter 1,$(SAN) $(TSAN)),,$(sort $(wildcard tests/test_*.sh)))
check-deps:
	@sh tools/deps.sh check
	@sh tools/deps.sh qemu
check: test-bin $(if $(TEST_SH),check-deps)
	@VMKIT_BIN=$(abspath $(VMKIT)) VMKIT_BUILD_DIR=$(abspath $(BUILD)) \
		sh tests/run-tests.sh $(TEST_BIN) $(FUZZ_REPLAY) $(TEST_SH)

include tools/coverage.mk

# Targeted mutations of the core, each applied to a copy under build-mutate/
# and killed by the tests it names (docs/testing.md). MUTATE_ALL=1 runs the
# whole suite per mutation; MUTATE_IDS="a b" runs some.
.PHONY: mutate
mutate: test-bin
	@sh tools/mutate/run.sh $(MUTATE_IDS)

# Benchmarks measure the release build (VMK_DEBUG=0, -O2); BENCH_DEBUG=1
# measures the debug build instead, into bench/out/debug.json.
BENCH_DEBUG ?= 0
ifeq ($(BENCH_DEBUG),1)
bench: deps $(BUILD)/bench/vmkit-bench
	@mkdir -p bench/out
	$(BUILD)/bench/vmkit-bench --json bench/out/debug.json $(BENCH_ARGS)
else ifeq ($(REL),1)
bench: deps $(BUILD)/bench/vmkit-bench
	@mkdir -p bench/out
	$(BUILD)/bench/vmkit-bench --json bench/out/latest.json $(BENCH_ARGS)
else
bench:
	@$(MAKE) --no-print-directory REL=1 bench
endif
$(BUILD)/bench/main.o: CFLAGS_HOST += -DBENCH_OPT='"$(OPT)"'


# Compile every core file for every architecture with both compilers, with
# only the compiler's own freestanding headers reachable (-nostdinc). The
# per-architecture flags are vmkit.mk's, as an embedder gets them.
FS_FLAGS := -std=c11 -O2 -ffreestanding -nostdlib -nostdinc -fno-builtin -Wall -Wextra -Werror -Iinclude
# Expanded when used: riscv64's -march is probed with the compiler itself.
FS_COMBOS = "gcc|x86_64||$(call vmkit_arch_cflags,gcc,x86_64,gcc)" \
	"aarch64-linux-gnu-gcc|arm64||$(call vmkit_arch_cflags,gcc,arm64,aarch64-linux-gnu-gcc)" \
	"clang|x86_64|--target=x86_64-unknown-none|$(call vmkit_arch_cflags,clang,x86_64,clang)" \
	"clang|arm64|--target=aarch64-unknown-none|$(call vmkit_arch_cflags,clang,arm64,clang)" \
	"riscv64-linux-gnu-gcc|riscv64||$(call vmkit_arch_cflags,gcc,riscv64,riscv64-linux-gnu-gcc)" \
	"clang|riscv64|--target=riscv64-unknown-elf|$(call vmkit_arch_cflags,clang,riscv64,clang)"
freestanding:
	@sh tools/deps.sh freestanding
	@set -e; n=0; \
	for c in $(FS_COMBOS); do \
	  cc=$${c%%|*}; rest=$${c#*|}; arch=$${rest%%|*}; rest=$${rest#*|}; tgt=$${rest%%|*}; extra=$${rest#*|}; \
	  inc=$$($$cc $$tgt -print-file-name=include); \
	  case $$cc in clang*) inc=$$($$cc -print-resource-dir)/include;; esac; \
	  for f in $(CORE_SRC); do \
	    $$cc $$tgt $(FS_FLAGS) $$extra -isystem $$inc -c $$f -o /dev/null || { echo "freestanding: $$cc $$arch: $$f failed"; exit 1; }; \
	    n=$$((n+1)); \
	  done; \
	  echo "freestanding: $$cc $$arch ($$tgt $$extra): $(words $(CORE_SRC)) files OK"; \
	done; \
	if grep -rnE '#include <(stdio|stdlib|string|pthread|unistd|assert|errno|malloc|time|setjmp|signal|math|ctype|stdatomic)\.h>' src include; then \
	  echo "freestanding: libc header included in the core"; exit 1; fi; \
	echo "freestanding: $$n compilations passed"

# The man page is made from the tool's --help texts (tools/mkman.sh).
$(BUILD)/vmkit.1: $(VMKIT) docs/vmkit.1.in tools/mkman.sh
	sh tools/mkman.sh $(VMKIT) docs/vmkit.1.in > $@.tmp && mv $@.tmp $@

# GNU conventions: prefix (or PREFIX), the directory variables derived from
# it (a distribution sets its own libdir), and DESTDIR for staged installs.
prefix  ?= /usr/local
PREFIX  ?= $(prefix)
# prefix given on the command line beats a PREFIX from the environment
# (a PREFIX on the command line still beats both).
ifeq ($(origin prefix),command line)
PREFIX  := $(prefix)
endif
exec_prefix ?= $(PREFIX)
bindir  ?= $(exec_prefix)/bin
libdir  ?= $(exec_prefix)/lib
includedir ?= $(PREFIX)/include
datarootdir ?= $(PREFIX)/share
mandir  ?= $(datarootdir)/man
man1dir ?= $(mandir)/man1
pkgconfigdir ?= $(libdir)/pkgconfig
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL)
INSTALL_DATA ?= $(INSTALL) -m 644
# vmkit.pc names directories under the prefix as ${prefix}/... (relocatable).
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
# Built like any other file (then installed with INSTALL_DATA, so its mode
# does not depend on the umask); remade when the directories change.
$(BUILD)/vmkit.pc: vmkit.pc.in include/vmkit/version.h FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(call pc_dir,$(includedir))|' \
		-e 's|@LIBDIR@|$(call pc_dir,$(libdir))|' \
		-e 's|@VERSION@|$(VMKIT_VERSION)|' vmkit.pc.in > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
FORCE:
.PHONY: FORCE
# Destination paths are quoted: a DESTDIR or prefix may hold spaces.
install: all $(BUILD)/vmkit.pc
	$(INSTALL) -d "$(DESTDIR)$(includedir)/vmkit" "$(DESTDIR)$(libdir)" "$(DESTDIR)$(pkgconfigdir)" \
		"$(DESTDIR)$(bindir)" "$(DESTDIR)$(man1dir)"
	$(INSTALL_DATA) $(VMKIT_HDRS) "$(DESTDIR)$(includedir)/vmkit/"
	$(INSTALL_DATA) $(LIB) "$(DESTDIR)$(libdir)/libvmkit.a"
	$(INSTALL_PROGRAM) $(VMKIT) "$(DESTDIR)$(bindir)/vmkit"
	$(INSTALL_DATA) $(BUILD)/vmkit.1 "$(DESTDIR)$(man1dir)/vmkit.1"
	$(INSTALL_DATA) $(BUILD)/vmkit.pc "$(DESTDIR)$(pkgconfigdir)/vmkit.pc"
uninstall:
	rm -f $(foreach h,$(notdir $(VMKIT_HDRS)),"$(DESTDIR)$(includedir)/vmkit/$(h)") \
		"$(DESTDIR)$(libdir)/libvmkit.a" "$(DESTDIR)$(bindir)/vmkit" \
		"$(DESTDIR)$(man1dir)/vmkit.1" "$(DESTDIR)$(pkgconfigdir)/vmkit.pc"
	-rmdir "$(DESTDIR)$(includedir)/vmkit" 2>/dev/null

clean:
	rm -rf build build-san build-tsan build-rel build-fuzz build-cov build-mutate build-md build-rel-md examples/embed/build

-include $(shell find $(sort $(BUILD) build build-san build-tsan build-rel) -name '*.d' 2>/dev/null)
