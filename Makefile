# vmkit build. See README.md for the targets; docs/building.md for embedding.
#
#   make              libvmkit.a and the vmkit tool
#   make run          the main job on the embedded default machine
#   make check        every test (SAN=1: ASan+UBSan build, TSAN=1: ThreadSanitizer)
#   make bench        benchmarks; figures in bench/out/latest.json
#   make freestanding compile the core for x86_64 and aarch64 with gcc and clang

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

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT     ?= -O2 -g
CFLAGS_CORE := -std=c11 $(OPT) $(WARN) -Iinclude -fno-strict-aliasing $(SANFLAGS)
CFLAGS_HOST := -std=gnu11 $(OPT) $(WARN) -Wno-missing-prototypes -Iinclude -Isim -Itests $(SANFLAGS) -D_GNU_SOURCE
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
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/%.o)
TEST_COMMON_OBJ := $(TEST_COMMON:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

LIB       := $(BUILD)/libvmkit.a
SIMLIB    := $(BUILD)/libvmksim.a
VMKIT     := $(BUILD)/vmkit

DEFAULT_MACHINE := examples/machines/qemu-q35-ovmf-x86_64-4G.efimap

.SECONDARY:
.PHONY: all run check test-bin bench freestanding deps clean
all: deps $(LIB) $(VMKIT)

# Installs the build dependencies on Debian when they are missing (as root).
deps:
	@sh tools/deps.sh

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_CORE) -MMD -MP -c $< -o $@

$(BUILD)/sim/%.o: sim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@
$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@
$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@
$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -MMD -MP -c $< -o $@

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

$(BUILD)/bench/vmkit-bench: $(BENCH_SRC:%.c=$(BUILD)/%.o) $(SIMLIB) $(LIB)
	$(CC) $(SANFLAGS) -o $@ $(filter %.o,$^) $(SIMLIB) $(LIB) $(LDLIBS_HOST)

run: all
	$(VMKIT) memmap --efi $(DEFAULT_MACHINE)

test-bin: deps $(TEST_BIN) $(VMKIT)

check: test-bin
	@BUILD=$(BUILD) sh tests/run-tests.sh $(TEST_BIN)

bench: deps $(BUILD)/bench/vmkit-bench
	@mkdir -p bench/out
	$(BUILD)/bench/vmkit-bench --json bench/out/latest.json

# Compile every core file for both architectures with both compilers, with
# only the compiler's own freestanding headers reachable (-nostdinc).
FS_FLAGS := -std=c11 -O2 -ffreestanding -nostdlib -nostdinc -fno-builtin -Wall -Wextra -Werror -Iinclude
FS_GCC_X86  := gcc
FS_GCC_ARM  := aarch64-linux-gnu-gcc
FS_CLANG    := clang
freestanding: deps
	@set -e; n=0; \
	for c in "$(FS_GCC_X86)|x86_64|" "$(FS_GCC_ARM)|aarch64|" \
	         "$(FS_CLANG)|x86_64|--target=x86_64-unknown-none" \
	         "$(FS_CLANG)|aarch64|--target=aarch64-unknown-none"; do \
	  cc=$${c%%|*}; rest=$${c#*|}; arch=$${rest%%|*}; tgt=$${rest#*|}; \
	  inc=$$($$cc $$tgt -print-file-name=include); \
	  case $$cc in clang*) inc=$$($$cc -print-resource-dir)/include;; esac; \
	  extra=""; [ $$arch = x86_64 ] && extra="-mno-red-zone -mgeneral-regs-only" || extra="-mgeneral-regs-only"; \
	  for f in $(CORE_SRC); do \
	    $$cc $$tgt $(FS_FLAGS) $$extra -isystem $$inc -c $$f -o /dev/null || { echo "freestanding: $$cc $$arch: $$f failed"; exit 1; }; \
	    n=$$((n+1)); \
	  done; \
	  echo "freestanding: $$cc $$arch ($$tgt): $(words $(CORE_SRC)) files OK"; \
	done; \
	if grep -rnE '#include <(stdio|stdlib|string|pthread|unistd|assert|errno|malloc|time|setjmp|signal|math|ctype|stdatomic)\.h>' src include; then \
	  echo "freestanding: libc header included in the core"; exit 1; fi; \
	echo "freestanding: $$n compilations passed"

clean:
	rm -rf build build-san build-tsan

-include $(shell find build build-san build-tsan -name '*.d' 2>/dev/null)
