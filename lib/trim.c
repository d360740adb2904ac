/* Voice-activity trimming (rule in trim.h). */
#include "trim.h"

#include <math.h>

int ser_trim(const ser_vad *v, const float *x, int n, int dim, double db, int min_len, int *start)
{
	double emax = -INFINITY, thr;
	int loud = -1, a = -1, b = -1, m, s;
	*start = 0;
	if (n <= 0 || !(db > 0))
		return n;
	for (int t = 0; t < n; t++) {
		double e = ser_vad_energy(v, x + (size_t)t * dim);
		if (e > emax) {
			emax = e;
			loud = t;
		}
	}
	if (loud < 0)   /* every energy NaN */
		return n;
	thr = emax - db;
	for (a = 0; a < loud && !(ser_vad_energy(v, x + (size_t)a * dim) >= thr); a++)
		;
	for (b = n - 1; b > loud && !(ser_vad_energy(v, x + (size_t)b * dim) >= thr); b--)
		;
	if (b - a + 1 >= min_len) {
		*start = a;
		return b - a + 1;
	}
	m = min_len < n ? min_len : n;
	s = loud - m / 2;
	if (s > a)
		s = a;             /* contain [a, b] (b - a + 1 < m, so both fit) */
	if (s < b + 1 - m)
		s = b + 1 - m;
	if (s < 0)
		s = 0;
	if (s > n - m)
		s = n - m;
	*start = s;
	return m;
}
