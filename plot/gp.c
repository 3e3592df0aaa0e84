/*
 * gp.c - what every generated gnuplot script starts with: the terminal for
 * the output's format and size, fonts, and the palette.
 *
 * Palette: Okabe-Ito (safe for the common colour-vision deficiencies). It
 * does not survive greyscale alone (several of its colours have close
 * luminance), so series also differ by dash type (lines) or by a fill
 * pattern overlaid on the colour (areas): see gp_pattern().
 */
#include "plot/plot.h"

#include <errno.h>
#include <string.h>

static void gp_preamble(struct plot *p);

static const char *const okabe_ito[8] = {
	"#0072B2", /* blue              luma  87 */
	"#E69F00", /* orange            luma 162 */
	"#009E73", /* bluish green      luma 106 */
	"#CC79A7", /* reddish purple    luma 151 */
	"#56B4E9", /* sky blue          luma 158 */
	"#D55E00", /* vermillion        luma 119 */
	"#F0E442", /* yellow            luma 213 */
	"#000000", /* black             luma   0 */
};

const char *gp_color(int i)
{
	return okabe_ito[(i < 0 ? 0 : i) % 8];
}

int gp_pattern(int i)
{
	/* The first two (dark blue, light orange) differ in grey already; the
	 * rest get hatches in distinct directions and densities; after eight
	 * colours the cycle repeats with other hatches. */
	static const int pat[16] = { 0, 0, 4, 5, 6, 7, 1, 2, 4, 5, 6, 7, 1, 2, 4, 5 };
	return pat[(i < 0 ? 0 : i) % 16];
}

const char *gp_time_unit(int64_t span_ns, double *div)
{
	if (span_ns >= 1000000000LL) {
		*div = 1e9;
		return "s";
	}
	if (span_ns >= 1000000LL) {
		*div = 1e6;
		return "ms";
	}
	*div = 1e3;
	return "µs";
}

void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

void gp_tic_label(FILE *f, const char *s)
{
	/* a tic label is a format: a literal % is %% */
	char buf[512];
	size_t k = 0;
	for (; *s && k + 2 < sizeof(buf); s++) {
		if (*s == '%')
			buf[k++] = '%';
		buf[k++] = *s;
	}
	buf[k] = '\0';
	gp_str(f, buf);
}

void gp_label(FILE *f, const char *s)
{
	/* Scripts use noenhanced text, so only the quoting matters. */
	gp_str(f, s);
}

int gp_begin(struct plot *p)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.gp", p->workdir, p->stem);
	if (plot_track(path) < 0)
		return -1;
	p->gp = fopen(path, "w");
	if (!p->gp) {
		plot_err("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	if (p->height_in <= 0)
		p->height_in = p->o->wide ? 2.8 : 2.4;
	gp_preamble(p);
	fprintf(p->gp, "%s", GP_BODY_MARK);
	return 0;
}

int gp_retarget(struct plot *p, enum plot_fmt fmt)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s.gp", p->workdir, p->stem);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	FILE *in = fopen(path, "r");
	if (!in) {
		plot_err("'%s': %s", path, strerror(errno));
		return -1;
	}
	if (plot_track(tmp) < 0) {
		fclose(in);
		return -1;
	}
	FILE *out = fopen(tmp, "w");
	if (!out) {
		plot_err("cannot create '%s': %s", tmp, strerror(errno));
		fclose(in);
		return -1;
	}
	p->fmt = fmt;
	p->gp = out;
	gp_preamble(p);
	fprintf(out, "%s", GP_BODY_MARK);
	char line[8192];
	int body = 0;
	while (fgets(line, sizeof(line), in)) {
		if (body)
			fputs(line, out);
		else if (strcmp(line, GP_BODY_MARK) == 0)
			body = 1;
	}
	fclose(in);
	p->gp = NULL;
	int bad = ferror(out);
	if (fclose(out) != 0 || bad || rename(tmp, path) < 0) {
		plot_err("cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void gp_preamble(struct plot *p)
{
	FILE *f = p->gp;
	const struct plot_opts *o = p->o;
	static const char *const ext[] = { "pdf", "svg", "png" };
	double w = p->width_in, h = p->height_in, fs = o->font_pt;

	fprintf(f, "# %s: pmt-plot %s figure. Render again with: gnuplot %s.gp\n",
		p->stem, p->figure, p->stem);
	fprintf(f, "# Data files beside this script; sizes in inches, fonts in points.\n");
	fprintf(f, "W = %.3f\nH = %.3f\nFONT = 'Sans'\nFS = %.1f\n", w, h, fs);
	switch (p->fmt) {
	case PLOT_PDF:
		/* cairo terminals draw a point as 1/96 inch, and pdfcairo's
		 * default fontscale is 0.5: fontscale 0.75 makes text FS
		 * points tall in the PDF. */
		fprintf(f, "FX = 1.0\n");
		fprintf(f, "set terminal pdfcairo noenhanced color size W,H font sprintf('%%s,%%g', FONT, FS) fontscale 0.75 linewidth 1\n");
		break;
	case PLOT_SVG:
		/* svg sizes are in points here (72 per inch), so text keeps
		 * the same proportion to the figure as in the PDF. */
		fprintf(f, "FX = 1.0\n");
		fprintf(f, "set terminal svg noenhanced size W*72,H*72 font sprintf('%%s,%%g', FONT, FS) linewidth 1 background '#ffffff'\n");
		break;
	default:
		/* 200 pixels per inch; pngcairo draws a point as 1/96 inch,
		 * hence the scale FX: the PNG then matches the PDF at DPI. */
		fprintf(f, "DPI = 200\nFX = DPI/96.0\n");
		fprintf(f, "set terminal pngcairo noenhanced color size W*DPI,H*DPI font sprintf('%%s,%%g', FONT, FS*FX) linewidth FX background '#ffffff'\n");
		break;
	}
	fprintf(f, "SMALL = sprintf(',%%g', FS*FX*0.85)\n");
	/* bottom margin (-1: automatic); a note under the figure raises it */
	fprintf(f, "BM = -1\n");
	fprintf(f, "set output '%s.%s'\n", p->stem, ext[p->fmt]);
	fprintf(f, "set encoding utf8\n");
	for (int i = 0; i < 8; i++) {
		static const char *const dash[8] = {
			"1", "2", "3", "4", "5", "(8,3,2,3)", "(2,2)", "(12,4)" };
		fprintf(f, "set linetype %d lc rgb '%s' lw 1.5 dt %s pt %d ps 0.6\n", i + 1,
			gp_color(i), dash[i], (int[]){ 7, 5, 9, 11, 13, 6, 4, 8 }[i]);
	}
	fprintf(f, "set linetype cycle 8\n");
	fprintf(f, "set border 3 lw 0.8\nset tics out nomirror scale 0.5\n");
	fprintf(f, "set style fill solid 1.0 noborder\n");
	fprintf(f, "set key noautotitle\n");
	/* value labels on filled areas sit on a white box to stay readable */
	fprintf(f, "set style textbox opaque noborder margins 1,1 fc rgb '#ffffff'\n");
	if (o->title)
		fprintf(f, "set title "), gp_label(f, o->title), fputc('\n', f);
}

void gp_notes(struct plot *p, struct csv *c)
{
	size_t n = c ? csv_nnotes(c) : 0;
	for (size_t i = 0; i < n; i++)
		plot_note(p, "%s", csv_note(c, i));
	if (n == 0)
		return;
	/* The first note goes under the figure: a figure computed across lost
	 * events must not look exact. It is cut into at most two lines that fit
	 * the width (small text: about 0.55 em a character). */
	char buf[400];
	snprintf(buf, sizeof(buf), "note: %s%s", csv_note(c, 0), n > 1 ? " (and more notes)" : "");
	size_t maxc = (size_t)(p->width_in * 72.0 / (0.56 * p->o->font_pt * 0.85)) - 2;
	if (maxc < 20)
		maxc = 20;
	if (maxc > sizeof(buf) / 2 - 4)
		maxc = sizeof(buf) / 2 - 4;
	char line[2][sizeof(buf)];
	int nl = 0;
	const char *s = buf;
	while (*s && nl < 2) {
		size_t len = strlen(s), cut = len;
		if (len > maxc) {
			cut = maxc;
			while (cut > maxc / 2 && s[cut] != ' ')
				cut--;
			if (s[cut] != ' ')
				cut = maxc;
		}
		memcpy(line[nl], s, cut);
		line[nl][cut] = '\0';
		if (nl == 1 && len > cut) {
			size_t k = cut > 3 ? cut - 3 : 0;
			memcpy(line[nl] + k, "...", 4);
		}
		nl++;
		s += cut;
		while (*s == ' ')
			s++;
	}
	for (int i = 0; i < nl; i++) {
		fprintf(p->gp, "set label %d ", 99 - i);
		gp_label(p->gp, line[i]);
		fprintf(p->gp, " at screen 0.01, screen 0.01 left front font SMALL tc rgb '#555555' "
			"offset 0,%.1f\n", 0.3 + 1.0 * (nl - 1 - i));
	}
	/* room for it under the x label */
	fprintf(p->gp, "BM = %.1f\nset bmargin BM\n", 4.6 + (nl - 1) * 1.0);
}

void gp_fill(FILE *f, const char *dname, int index, const char *using, const char *color,
	     int pattern, int first)
{
	fprintf(f, "%s'%s' index %d using %s with boxxyerror fc rgb '%s' fs solid 1.0 noborder",
		first ? "" : ", \\\n     ", dname, index, using, color);
	if (pattern)
		fprintf(f, ", \\\n     '%s' index %d using %s with boxxyerror "
			"fc rgb '#000000' fs transparent pattern %d noborder",
			dname, index, using, pattern);
}

void gp_key_boxes(struct plot *p, int n, const char *const *names, const char *const *colors,
		  const int *patterns)
{
	/* gnuplot's own key cannot show a colour and a hatch in one sample, so
	 * the key of filled areas is drawn as objects in a row above the plot,
	 * centred, wrapping to a second row when it does not fit. */
	FILE *f = p->gp;
	double fs_in = p->o->font_pt / 72.0;
	double box_w = 1.6 * fs_in, box_h = 0.8 * fs_in, gap = 0.4 * fs_in,
	       sep = 1.1 * fs_in, ch_w = 0.55 * fs_in;
	double avail = p->width_in * 0.96;
	double row_h = 1.5 * fs_in;
	int start = 0, row = 0;
	if (p->o->title) {
		/* the title goes above the key rows, as a label */
		fprintf(f, "unset title\nset label 95 ");
		gp_label(f, p->o->title);
		fprintf(f, " at screen 0.5, screen %.4f center front\n",
			(p->height_in - 0.75 * row_h) / p->height_in);
		row = 1;
	}
	while (start < n) {
		double w = 0;
		int end = start;
		while (end < n) {
			double e = box_w + gap + ch_w * (double)strlen(names[end]);
			if (end > start && w + sep + e > avail)
				break;
			w += (end > start ? sep : 0) + e;
			end++;
		}
		double x = (p->width_in - w) / 2;
		double y = p->height_in - (0.35 + row * 1.0) * row_h - 0.1 * fs_in;
		for (int i = start; i < end; i++) {
			double x0 = x / p->width_in, x1 = (x + box_w) / p->width_in;
			double y0 = (y - box_h / 2) / p->height_in, y1 = (y + box_h / 2) / p->height_in;
			if (!colors[i]) /* a point marker (pt in patterns[i]) */
				fprintf(f, "set label '' at screen %.4f,%.4f point pt %d ps 0.8 "
					"lc rgb '#000000' front\n", (x0 + x1) / 2, (y0 + y1) / 2,
					patterns ? patterns[i] : 7);
			else
				fprintf(f, "set object rect from screen %.4f,%.4f to screen %.4f,%.4f "
					"fc rgb '%s' fs solid 1.0 border lc rgb '#555555' lw 0.5 front\n",
					x0, y0, x1, y1, colors[i]);
			if (colors[i] && patterns && patterns[i])
				fprintf(f, "set object rect from screen %.4f,%.4f to screen %.4f,%.4f "
					"fc rgb '#000000' fs transparent pattern %d noborder front\n",
					x0, y0, x1, y1, patterns[i]);
			fprintf(f, "set label ");
			gp_label(f, names[i]);
			fprintf(f, " at screen %.4f,%.4f left front\n",
				(x + box_w + gap) / p->width_in, y / p->height_in);
			x += box_w + gap + ch_w * (double)strlen(names[i]) + sep;
		}
		start = end;
		row++;
	}
	/* room for the rows above the plot, in character heights */
	fprintf(f, "set tmargin %.1f\n", 0.6 + row * 1.5);
}
