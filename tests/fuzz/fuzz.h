/* The fuzz targets' entry point (libFuzzer's), and the bounds they share. Built with
 * --enable-fuzzing they link libFuzzer; otherwise replay.c runs files through them (the
 * regression cases and the seed corpus, in make check). */
#pragma once
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
