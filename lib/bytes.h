/* Little-endian byte codecs for libser's binary formats (the values of
 * ser-formats(5), WAV headers) and the FNV-1a 64 hash of bytes: the one
 * home of each; every module reads and writes bytes through these. */
#ifndef SER_BYTES_H
#define SER_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void ser_put_le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline uint16_t ser_get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void ser_put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void ser_put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t ser_get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ser_get_le64(const unsigned char *p)
{
	return (uint64_t)ser_get_le32(p) | (uint64_t)ser_get_le32(p + 4) << 32;
}

/* IEEE 754 binary32/binary64 values by their bits */
static inline uint32_t ser_f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static inline float ser_bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static inline uint64_t ser_f64_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

static inline double ser_bits_f64(uint64_t u)
{
	double d;
	memcpy(&d, &u, 8);
	return d;
}

/* FNV-1a 64 of n bytes continued from h (start: SER_FNV1A64_BASIS). */
#define SER_FNV1A64_BASIS UINT64_C(0xcbf29ce484222325)
static inline uint64_t ser_fnv1a64_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#endif
