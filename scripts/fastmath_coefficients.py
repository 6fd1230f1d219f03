#!/usr/bin/python3
"""Print the polynomial coefficients of src/fastmath.c (sweep's own exp and log).

Both are near-minimax (Chebyshev) fits made with mpmath at 50 digits and then
rounded to the nearest double (printed as C hex floats):

  exp: e^r = 1 + r + r^2 q(r) on |r| <= ln2/2, q of degree 9
       (fit error of q 1.0e-16, i.e. 1.8e-17 relative to e^r);
  log: log((1+s)/(1-s)) = 2s + s R(z), z = s^2 <= ((sqrt2-1)/(sqrt2+1))^2,
       R(z) = z P(z), P of degree 6 (fit error 3.1e-16, 4.6e-18 relative).

Usage: scripts/fastmath_coefficients.py   (needs python3-mpmath)
The output is pasted into src/fastmath.h; re-running prints the same numbers.
"""
import mpmath as mp

mp.mp.dps = 50


def exp_q(r):
    if abs(r) < mp.mpf("1e-20"):
        return mp.mpf(1) / 2
    return (mp.exp(r) - 1 - r) / r ** 2


def log_p(z):
    if z < mp.mpf("1e-30"):
        return mp.mpf(2) / 3
    s = mp.sqrt(z)
    return (mp.log((1 + s) / (1 - s)) - 2 * s) / s / z


def show(prefix, poly, err):
    # chebyfit returns the highest degree first
    coefficients = list(reversed(poly))
    print("/* fit error %s */" % mp.nstr(err, 3))
    for i, c in enumerate(coefficients):
        print("#define %s%d %s" % (prefix, i, float(c).hex()))


def main():
    half_ln2 = mp.log(2) / 2
    poly, err = mp.chebyfit(exp_q, [-half_ln2, half_ln2], 10, error=True)
    show("FASTMATH_EXP_Q", poly, err)
    z_max = ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2
    poly, err = mp.chebyfit(log_p, [0, z_max], 7, error=True)
    show("FASTMATH_LOG_P", poly, err)
    # ln 2 split for Cody and Waite's reduction: the high part keeps 42
    # significant bits, so k * LN2_HI is exact for |k| < 2^11.
    ln2 = mp.log(2)
    ln2_hi = mp.floor(ln2 * 2 ** 42) / 2 ** 42
    print("#define FASTMATH_LN2_HI %s" % float(ln2_hi).hex())
    print("#define FASTMATH_LN2_LO %s" % float(ln2 - ln2_hi).hex())
    print("#define FASTMATH_LOG2E %s" % float(1 / ln2).hex())


if __name__ == "__main__":
    main()
