/* fashion.h: fashion-MNIST as chapter 7 of the textbook uses it.
 *
 * Read from the four gzip IDX files of Debian's dataset-fashion-mnist
 * package (too large to compile in: 60,000 + 10,000 images of 28x28
 * pixels). The 60,000 training images are split with
 * train_test_split(x, y, stratify=y, test_size=val_fraction,
 * random_state=split_seed) into train and val rows (split.h), the 10,000
 * t10k images are the test rows, and every pixel is divided by 255 (no
 * standardization). The classes are the dataset's ten garments, named as
 * its documentation names labels 0..9.
 *
 * Memory: the rows are float64 (60,000 x 784 x 8 bytes = 376 MB for train
 * and val); the bytes of one file are held only while they are converted,
 * so the peak is about 440 MB (measured: /usr/bin/time, maximum RSS).
 */
#ifndef SWEEP_FASHION_H
#define SWEEP_FASHION_H

#include "dataset.h"
#include "error.h"

#define FASHION_NAME "fashion_mnist"
#define FASHION_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FASHION_N_CLASSES 10

/* Load from `dir` (FASHION_DEFAULT_DIR unless a test points elsewhere).
 * spec: val_fraction and split_seed are used; a split column, a nonzero
 * test_fraction or standardize are refused. A missing file gives one line
 * naming the package to install (ERROR_INPUT). */
int fashion_load(const char *dir, const dataset_spec *spec, dataset *out, sweep_error *err);

/* The class names, labels 0..9 ("T-shirt/top", ..., "Ankle boot"). */
extern const char *const FASHION_CLASS_NAMES[FASHION_N_CLASSES];

#endif
