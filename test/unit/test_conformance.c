/* Conformance of the librosa and kaldi presets with reference outputs
 * ($SER_REF, default ../shared/reference; see its README.md): exact frame
 * counts, per value |a-b| <= max(2e-3, 1e-3 |b|), mean vector |a-b| <= 5e-3. */
#include "check.h"
#include "check_fe.h"
#include "mfcc.h"

#include <dirent.h>
#include <sndfile.h>
#include <string.h>

static float *read_wav(const char *path, long *n, int *rate)
{
	SF_INFO si;
	SNDFILE *f;
	float *x;
	memset(&si, 0, sizeof si);
	f = sf_open(path, SFM_READ, &si);
	if (!f)
		return NULL;
	if (si.channels != 1) {
		sf_close(f);
		return NULL;
	}
	x = malloc((size_t)(si.frames + 1) * sizeof *x);
	*n = (long)sf_readf_float(f, x, si.frames);
	*rate = si.samplerate;
	sf_close(f);
	return x;
}

/* Reads a text matrix: one row a line; *rows, *cols (cols of the first line). */
static float *read_txt(const char *path, long *rows, long *cols)
{
	FILE *f = fopen(path, "r");
	char line[65536];
	float *m = NULL;
	long cap = 0, n = 0;
	*rows = *cols = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof line, f)) {
		char *s = line, *end;
		long c = 0;
		for (;;) {
			double v = strtod(s, &end);
			if (end == s)
				break;
			if (n == cap) {
				cap = cap ? 2 * cap : 4096;
				m = realloc(m, (size_t)cap * sizeof *m);
			}
			m[n++] = (float)v;
			s = end;
			c++;
		}
		if (c == 0)
			continue;
		if (*rows == 0)
			*cols = c;
		else if (c != *cols) {
			free(m);
			fclose(f);
			return NULL;
		}
		(*rows)++;
	}
	fclose(f);
	return m;
}

static void compare(const char *dir, const char *name, const char *what, const ser_feat_opts *o,
                    const float *x, long n, double abs_tol, double rel_tol)
{
	char path[4096];
	long rows, cols, nf;
	size_t got, dim = 0;
	float *ref, *y;
	snprintf(path, sizeof path, "%s/%s.%s.txt", dir, name, what);
	ref = read_txt(path, &rows, &cols);
	if (!ref) {
		CHECK(0, "%s %s: cannot read %s", name, what, path);
		return;
	}
	y = check_fe_run(o, x, (size_t)n, &got, &dim);
	nf = (long)got;
	if (!y || nf != rows || (long)dim != cols) {
		CHECK(0, "%s %s: %ld x %zu frames, reference %ld x %ld", name, what, nf, dim, rows, cols);
	} else {
		double worst = 0, worst_ratio = 0;
		long wi = 0;
		for (long i = 0; i < rows * cols; i++) {
			double d = fabs((double)y[i] - ref[i]), t = fabs(ref[i]) * rel_tol;
			if (t < abs_tol)
				t = abs_tol;
			if (d / t > worst_ratio || isnan(y[i]))
				worst_ratio = isnan(y[i]) ? INFINITY : d / t, worst = d, wi = i;
		}
		CHECK(worst_ratio <= 1, "%s %s: %ld frames x %ld, worst |a-b| %.3g at frame %ld coef %ld "
		      "(ours %.6g, ref %.6g; %.2f of tolerance)", name, what, rows, cols, worst,
		      wi / cols, wi % cols, y[wi], ref[wi], worst_ratio);
	}
	free(ref);
	free(y);
}

/* Largest difference in the first and last frames between zero-padded
 * features and the reflect reference (the test must tell them apart). */
static double edge_difference(const char *dir, const char *name, const float *x, long n)
{
	char path[4096];
	long rows, cols, nf;
	size_t got, dim = 0;
	ser_feat_opts o;
	float *ref, *y;
	double worst = 0;
	snprintf(path, sizeof path, "%s/%s.librosa_reflect.txt", dir, name);
	ref = read_txt(path, &rows, &cols);
	ser_feat_preset(&o, "librosa", NULL);
	y = check_fe_run(&o, x, (size_t)n, &got, &dim);
	nf = (long)got;
	if (ref && y && rows > 0 && nf == rows && (long)dim == cols)
		for (long i = 0; i < cols; i++) {
			double a = fabs((double)y[i] - ref[i]);
			double b = fabs((double)y[(rows - 1) * cols + i] - ref[(rows - 1) * cols + i]);
			if (a > worst)
				worst = a;
			if (b > worst)
				worst = b;
		}
	free(ref);
	free(y);
	return worst;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *dir = getenv("SER_REF");
	char *names[256];
	int nn = 0;
	double edge_diff = 0;
	DIR *d;
	struct dirent *de;
	if (!dir || !*dir)
		dir = "../shared/reference";
	d = opendir(dir);
	if (!d) {
		SKIP("conformance: no reference directory %s (set SER_REF)", dir);
		return 0;
	}
	while ((de = readdir(d)) && nn < 256) {
		size_t l = strlen(de->d_name);
		const char *suf = ".librosa.txt";
		if (l > strlen(suf) && !strcmp(de->d_name + l - strlen(suf), suf)) {
			names[nn] = strdup(de->d_name);
			names[nn][l - strlen(suf)] = '\0';
			nn++;
		}
	}
	closedir(d);
	qsort(names, (size_t)nn, sizeof *names, cmpstr);
	CHECK(nn > 0, "conformance: %d references in %s", nn, dir);
	for (int i = 0; i < nn; i++) {
		char path[4096];
		long n16 = 0, n22 = 0;
		int r16 = 0, r22 = 0;
		float *x22, *x16;
		ser_feat_opts o;
		snprintf(path, sizeof path, "%s/%s.22050.wav", dir, names[i]);
		x22 = read_wav(path, &n22, &r22);
		snprintf(path, sizeof path, "%s/%s.16000.wav", dir, names[i]);
		x16 = read_wav(path, &n16, &r16);
		CHECK(x22 && x16 && r22 == 22050 && r16 == 16000, "%s: inputs read (%ld and %ld samples)",
		      names[i], n22, n16);
		if (x22 && r22 == 22050) {
			ser_feat_preset(&o, "librosa", NULL);
			compare(dir, names[i], "librosa", &o, x22, n22, 2e-3, 1e-3);
			ser_feat_set(&o, "edge", "reflect", NULL);
			compare(dir, names[i], "librosa_reflect", &o, x22, n22, 2e-3, 1e-3);
			{
				double e = edge_difference(dir, names[i], x22, n22);
				if (e > edge_diff)
					edge_diff = e;
			}
			ser_feat_preset(&o, "librosa", NULL);
			ser_feat_set(&o, "pool", "mean", NULL);
			compare(dir, names[i], "librosa_mean", &o, x22, n22, 5e-3, 0);
		}
		if (x16 && r16 == 16000) {
			ser_feat_preset(&o, "kaldi", NULL);
			compare(dir, names[i], "kaldi", &o, x16, n16, 2e-3, 1e-3);
		}
		free(x22);
		free(x16);
		free(names[i]);
	}
	CHECK(edge_diff > 1, "edge zero differs from the reflect references in edge frames (by up to %.3g)", edge_diff);
	return check_status();
}
