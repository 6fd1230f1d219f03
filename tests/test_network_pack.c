/* test_network_pack.c: the packed network's parts (network_pack.c) that
 * the pack tests reach only through whole training runs.
 *
 * Tolerance: none. network_pack_reg_loss must give, for every lane, the
 * bits of network_reg_loss (network.c) on that lane's weights alone, at
 * every instruction set the CPU supports, with weights that include -0.0,
 * subnormals, huge values, infinities and NaN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanes.h"
#include "network.h"
#include "network_pack.h"

/* A deterministic spread of doubles, a special value now and then. */
static double test_weight(uint64_t *state, bool specials)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint32_t bits = (uint32_t)(*state >> 33);
    if (specials)
        switch (bits % 29) {
        case 0:
            return -0.0;
        case 1:
            return 0.0;
        case 2:
            return 4.9e-324 * (double)(bits % 7);
        case 3:
            return bits % 2 ? 1e300 : -1e300;
        case 4:
            return bits % 2 ? INFINITY : -INFINITY;
        case 5:
            return NAN;
        default:
            break;
        }
    return ((double)bits / 2147483648.0 - 1.0) * (bits % 5 == 0 ? 10.0 : 1.0);
}

/* One pack of `width` lanes at `isa`: its reg_loss against network_reg_loss
 * of each lane's weights; the number of lanes that differ. */
static int count_reg_loss_differences(simd_isa isa, int n_features, int units, bool specials,
                                      uint64_t *state)
{
    const int width = simd_lanes(isa);
    const size_t n_w1 = (size_t)n_features * (size_t)units;
    double *w1 = calloc(n_w1 * (size_t)width, sizeof(double));
    double *w2 = calloc((size_t)units * (size_t)width, sizeof(double));
    double *lone_w1 = calloc(n_w1, sizeof(double));
    double *lone_w2 = calloc((size_t)units, sizeof(double));
    assert_non_null(w1);
    assert_non_null(w2);
    assert_non_null(lone_w1);
    assert_non_null(lone_w2);
    double l1[LANES_MAX], l2[LANES_MAX], reg[LANES_MAX];
    static const double penalties[][2] = {{0.0, 0.01}, {0.001, 0.0}, {0.001, 0.01}, {0.0, 0.0},
                                          {0.5, 3.0},  {1e-9, 1e-7}, {-0.0, 0.02},  {2.0, -0.0}};
    for (int lane = 0; lane < width; lane++) {
        l1[lane] = penalties[lane % 8][0];
        l2[lane] = penalties[lane % 8][1];
    }
    for (size_t i = 0; i < n_w1 * (size_t)width; i++)
        w1[i] = test_weight(state, specials);
    for (size_t i = 0; i < (size_t)units * (size_t)width; i++)
        w2[i] = test_weight(state, specials);
    network_pack pack = {.n_features = n_features,
                         .units = units,
                         .width = width,
                         .isa = isa,
                         .w1 = w1,
                         .w2 = w2,
                         .l1 = l1,
                         .l2 = l2};
    network_pack_reg_loss(&pack, reg);
    int differences = 0;
    for (int lane = 0; lane < width; lane++) {
        for (size_t i = 0; i < n_w1; i++)
            lone_w1[i] = w1[i * (size_t)width + (size_t)lane];
        for (int h = 0; h < units; h++)
            lone_w2[h] = w2[(size_t)h * (size_t)width + (size_t)lane];
        const network lone = {.n_features = n_features,
                              .units = units,
                              .stride = units,
                              .isa = SIMD_GENERIC,
                              .w1 = lone_w1,
                              .w2 = lone_w2};
        const double expected = network_reg_loss(&lone, l1[lane], l2[lane]);
        if (memcmp(&expected, &reg[lane], sizeof(double)) != 0) {
            printf("  DIFFERENT: [%s] %d features, %d units, lane %d: %.17g, lone %.17g\n",
                   simd_name(isa), n_features, units, lane, reg[lane], expected);
            differences++;
        }
    }
    free(w1);
    free(w2);
    free(lone_w1);
    free(lone_w2);
    return differences;
}

/* Features 1, 3, 30 x units 1, 7, 10, 13, 17 x every supported level, with
 * plain and with special weights. */
static void test_reg_loss_equals_lone(void **state)
{
    (void)state;
    static const int feature_counts[] = {1, 3, 30};
    static const int unit_counts[] = {1, 7, 10, 13, 17};
    uint64_t seed = 42;
    int packs = 0, differences = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        for (size_t f = 0; f < sizeof feature_counts / sizeof feature_counts[0]; f++)
            for (size_t u = 0; u < sizeof unit_counts / sizeof unit_counts[0]; u++)
                for (int specials = 0; specials < 2; specials++) {
                    differences += count_reg_loss_differences((simd_isa)isa, feature_counts[f],
                                                              unit_counts[u], specials, &seed);
                    packs++;
                }
    }
    printf("reg_loss packed vs lone: %d packs, %d lanes differ (tolerance: none)\n", packs,
           differences);
    assert_int_equal(differences, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reg_loss_equals_lone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
