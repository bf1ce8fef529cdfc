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
FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))

CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ   := $(SIM_SRC:%.c=$(BUILD)/%.o)
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/default_machine.o
TEST_COMMON_OBJ := $(TEST_COMMON:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%-replay)

LIB       := $(BUILD)/libvmkit.a
SIMLIB    := $(BUILD)/libvmksim.a
VMKIT     := $(BUILD)/vmkit

DEFAULT_MACHINE := examples/machines/qemu-q35-ovmf-x86_64-4G.efimap

.SECONDARY:
.PHONY: all run check test-bin bench freestanding fuzz deps fuzz-deps clean
all: deps $(LIB) $(VMKIT)

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

# The fuzz targets replayed over their corpus (part of make check).
$(BUILD)/fuzz/%-replay: fuzz/%.c fuzz/replay_main.c $(SIMLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -DFUZZ_NAME='"$*"' -o $@ fuzz/$*.c fuzz/replay_main.c $(SIMLIB) $(LIB) $(LDLIBS_HOST)

# libFuzzer builds (clang), run for FUZZ_SECONDS each from the corpus.
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Iinclude -Isim -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
build/fuzz/%-fuzzer: fuzz/%.c $(CORE_SRC) $(SIM_SRC) | fuzz-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ fuzz/$*.c $(CORE_SRC) $(SIM_SRC) $(LDLIBS_HOST)
fuzz-deps:
	@sh tools/deps.sh fuzz
fuzz: fuzz-deps $(FUZZ_SRC:fuzz/%.c=build/fuzz/%-fuzzer)
	@set -e; for f in $(FUZZ_SRC:fuzz/%.c=%); do \
	  mkdir -p build/fuzz/corpus-$$f fuzz/corpus/$$f; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	  st=0; build/fuzz/$$f-fuzzer -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    build/fuzz/corpus-$$f fuzz/corpus/$$f tests/data/memmaps > build/fuzz/$$f.log 2>&1 || st=$$?; \
	  tail -n 12 build/fuzz/$$f.log; \
	  [ $$st -eq 0 ] || { echo "fuzz: $$f failed (status $$st), see build/fuzz/$$f.log"; exit 1; }; \
	done

run: all
	$(VMKIT) memmap

test-bin: deps $(TEST_BIN) $(FUZZ_REPLAY) $(VMKIT)

check: test-bin
	@VMKIT_BIN=$(abspath $(VMKIT)) sh tests/run-tests.sh $(TEST_BIN) $(FUZZ_REPLAY)

bench: deps $(BUILD)/bench/vmkit-bench
	@mkdir -p bench/out
	$(BUILD)/bench/vmkit-bench --json bench/out/latest.json

# Compile every core file for both architectures with both compilers, with
# only the compiler's own freestanding headers reachable (-nostdinc).
FS_FLAGS := -std=c11 -O2 -ffreestanding -nostdlib -nostdinc -fno-builtin -Wall -Wextra -Werror -Iinclude
FS_GCC_X86  := gcc
FS_GCC_ARM  := aarch64-linux-gnu-gcc
FS_CLANG    := clang
freestanding:
	@sh tools/deps.sh freestanding
	@set -e; n=0; \
	for c in "$(FS_GCC_X86)|x86_64|" "$(FS_GCC_ARM)|aarch64|" \
	         "$(FS_CLANG)|x86_64|--target=x86_64-unknown-none" \
	         "$(FS_CLANG)|aarch64|--target=aarch64-unknown-none"; do \
	  cc=$${c%%|*}; rest=$${c#*|}; arch=$${rest%%|*}; tgt=$${rest#*|}; \
	  inc=$$($$cc $$tgt -print-file-name=include); \
	  case $$cc in clang*) inc=$$($$cc -print-resource-dir)/include;; esac; \
	  extra=""; [ $$arch = x86_64 ] && extra="-mno-red-zone -mgeneral-regs-only" || extra="-mgeneral-regs-only"; \
	  case "$$cc:$$arch" in *gcc*:aarch64) extra="$$extra -mno-outline-atomics";; esac; \
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
