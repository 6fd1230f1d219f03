/* test_clock.c: the monotonic clock behind durations.
 *
 * Only lower bounds are checked (a loaded machine may stretch any interval,
 * never shrink it): readings never go back, and a sleep of 20 ms shows as at
 * least 20 ms (tolerance: 1 us for the conversion to double).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "clock.h"

static void test_readings_never_go_back(void **state)
{
    (void)state;
    double previous = clock_seconds();
    for (int i = 0; i < 100000; i++) {
        double now = clock_seconds();
        assert_true(now >= previous);
        previous = now;
    }
}

static void test_a_sleep_is_measured(void **state)
{
    (void)state;
    double before = clock_seconds();
    struct timespec pause = {0, 20 * 1000 * 1000};
    while (nanosleep(&pause, &pause) != 0)
        continue;
    assert_true(clock_seconds() - before >= 0.020 - 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readings_never_go_back),
        cmocka_unit_test(test_a_sleep_is_measured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
