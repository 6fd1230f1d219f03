/* temp_folder.h: a fresh folder under /tmp for a cmocka test group.
 *
 * Included by the test files that write files (one per process, so the
 * static state is per test program): cmocka_run_group_tests(tests,
 * make_temp_folder, remove_temp_folder), then paths under temp_folder. */
#ifndef SWEEP_TEST_TEMP_FOLDER_H
#define SWEEP_TEST_TEMP_FOLDER_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char temp_folder[] = "/tmp/sweep_test_XXXXXX";

static int make_temp_folder(void **state)
{
    (void)state;
    return mkdtemp(temp_folder) == NULL ? -1 : 0;
}

static int remove_temp_folder(void **state)
{
    (void)state;
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_folder);
    return system(command) == 0 ? 0 : -1;
}

#endif
