/* builtin_data.h: data sets compiled into the binary.
 *
 * CMake turns data/NAME.csv into a byte array at build time (the function
 * sweep_embed_csv in CMakeLists.txt), so `sweep` needs no data path and
 * works from any directory. fashion-MNIST is too large for that and is read
 * from Debian's dataset-fashion-mnist package instead (fashion.h).
 */
#ifndef SWEEP_BUILTIN_DATA_H
#define SWEEP_BUILTIN_DATA_H

#include <stddef.h>

extern const unsigned char builtin_wdbc_csv[]; /* the text of data/wdbc.csv */
extern const size_t builtin_wdbc_csv_size;     /* its length in bytes (no NUL) */
extern const unsigned char builtin_iris_csv[]; /* data/iris.csv */
extern const size_t builtin_iris_csv_size;
extern const unsigned char builtin_wine_csv[]; /* data/wine.csv */
extern const size_t builtin_wine_csv_size;
extern const unsigned char builtin_digits_csv[]; /* data/digits.csv */
extern const size_t builtin_digits_csv_size;

#endif
