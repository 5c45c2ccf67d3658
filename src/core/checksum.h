#ifndef INGOT_CORE_CHECKSUM_H
#define INGOT_CORE_CHECKSUM_H
#include <stddef.h>
#include <stdint.h>
/* 64-bit FNV-1a over bytes: catches truncation and bit flips in plans (not an attack MAC). */
uint64_t ingot_checksum64(const void *data, size_t size);
#endif
