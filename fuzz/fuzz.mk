# Fuzz targets (included by the Makefile; docs/testing.md).
#
# Every fuzz/fuzz_*.c is a libFuzzer target (LLVMFuzzerTestOneInput). It is
# built twice:
#   $(BUILD)/fuzz/<t>-replay  with the host compiler, linked with
#       fuzz/replay_main.c: runs every input of fuzz/corpus/<t>/ once; part
#       of `make check` (also under SAN=1 / TSAN=1).
#   build-fuzz/<t>            with clang, libFuzzer, ASan and UBSan: `make fuzz`
#       runs each target FUZZ_SECONDS (default 30) from its corpus, one at a
#       time; FUZZ_TARGETS="fuzz_e820 fuzz_efi" picks some.
# Targets may use the tool's code (tools/vmkit, e.g. the machine-description
# parser) and the tests' helpers (tests/*_util.c, cmocka).

FUZZ_SRC    := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES  := $(FUZZ_SRC:fuzz/%.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%-replay)
# Targets whose replay also reads every real map in tests/data/memmaps.
FUZZ_MEMMAPS := fuzz_fwmap fuzz_boot fuzz_iomem

FUZZ_TOOL_OBJ = $(filter-out $(BUILD)/tools/vmkit/main.o,$(TOOL_OBJ))

$(BUILD)/fuzz/%-replay: fuzz/%.c fuzz/replay_main.c fuzz/fuzz_util.h $(FUZZ_TOOL_OBJ) $(TEST_COMMON_OBJ) $(SIMLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -Itools/vmkit -DFUZZ_NAME='"$*"' \
		$(if $(filter $*,$(FUZZ_MEMMAPS)),-DFUZZ_MEMMAPS) -o $@ fuzz/$*.c fuzz/replay_main.c \
		$(FUZZ_TOOL_OBJ) $(TEST_COMMON_OBJ) $(SIMLIB) $(LIB) $(TEST_LIBS) $(LDLIBS_HOST)

# libFuzzer builds: the library code once with coverage instrumentation,
# each target linked with libFuzzer's main.
FZ          := build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_FLAGS  ?=
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Iinclude -Isim -Itests -Itools/vmkit -D_GNU_SOURCE \
	-fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_SRC := $(CORE_SRC) $(SIM_SRC) $(filter-out tools/vmkit/main.c,$(TOOL_SRC)) $(TEST_COMMON)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FZ)/%.o) $(FZ)/gen/default_machine.o $(FZ)/gen/default_boot.o

$(FZ)/%.o: %.c | fuzz-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FZ)/gen/%.o: $(BUILD)/gen/%.c | fuzz-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@
$(FZ)/libfuzzlib.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FZ)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_util.h $(FZ)/libfuzzlib.a | fuzz-deps
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FZ)/libfuzzlib.a $(TEST_LIBS) $(LDLIBS_HOST)

fuzz-deps:
	@sh tools/deps.sh fuzz
# Each target from its committed corpus (read-only) plus a scratch corpus of
# what it finds ($(FZ)/corpus-<t>); a crash stops the run and names the log.
fuzz: fuzz-deps $(FUZZ_TARGETS:%=$(FZ)/%)
	@set -e; for f in $(FUZZ_TARGETS); do \
	  mkdir -p $(FZ)/corpus-$$f $(FZ)/artifacts; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	  st=0; $(FZ)/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FZ)/artifacts/$$f- $(FUZZ_FLAGS) \
	    $(FZ)/corpus-$$f fuzz/corpus/$$f $$(case " $(FUZZ_MEMMAPS) " in *" $$f "*) echo tests/data/memmaps;; esac) \
	    > $(FZ)/$$f.log 2>&1 || st=$$?; \
	  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^Done [0-9]+ runs' $(FZ)/$$f.log || true; \
	  [ $$st -eq 0 ] || { tail -n 40 $(FZ)/$$f.log; echo "fuzz: $$f failed (status $$st), see $(FZ)/$$f.log"; exit 1; }; \
	done

-include $(shell find $(FZ) -name '*.d' 2>/dev/null)
