/* simd.c: run-time choice of the kernels' instruction set. */
#include "simd.h"

#if defined(__x86_64__) || defined(__i386__)
#define SIMD_X86 1
#else
#define SIMD_X86 0
#endif

bool simd_supported(simd_isa isa)
{
    switch (isa) {
    case SIMD_GENERIC:
        return true;
#if SIMD_X86
    case SIMD_AVX2:
        return __builtin_cpu_supports("avx2");
    case SIMD_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
#endif
    default:
        return false;
    }
}

simd_isa simd_best(void)
{
    for (int isa = SIMD_ISA_COUNT - 1; isa > SIMD_GENERIC; isa--)
        if (simd_supported((simd_isa)isa))
            return (simd_isa)isa;
    return SIMD_GENERIC;
}

const char *simd_name(simd_isa isa)
{
    static const char *const names[SIMD_ISA_COUNT] = {"generic", "avx2", "avx512"};
    return isa >= 0 && isa < SIMD_ISA_COUNT ? names[isa] : "unknown";
}

int simd_lanes(simd_isa isa)
{
    static const int lanes[SIMD_ISA_COUNT] = {2, 4, 8};
    return isa >= 0 && isa < SIMD_ISA_COUNT ? lanes[isa] : 2;
}
