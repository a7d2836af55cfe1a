/*
 * The built-in camera table: focal length and sensor size of DJI cameras,
 * keyed by the EXIF Model DJI writes. Extend it by adding a line with its
 * source; a camera not listed falls back on EXIF FocalLength and
 * FocalLengthIn35mmFormat (sensor from the crop factor), else it is a gap.
 *
 * Sensor sizes of visual cameras are the active area of the sensor format
 * DJI names; thermal ones are pixel pitch x resolution, as DJI specifies.
 */
#include <stddef.h>
#include <strings.h>

#include "exports/exports_int.h"

static const dv_xcamera cameras[] = {
	{ "FC6310", "Phantom 4 Pro / Pro V2.0 (1\" CMOS, 20 MP)", 8.8, 13.2, 8.8,
	  "DJI Phantom 4 Pro specs: 1\" CMOS, FOV 84 deg, 8.8 mm / 24 mm; 1\" type active area 13.2 x 8.8 mm" },
	{ "FC6310S", "Phantom 4 Pro V2.0 (1\" CMOS, 20 MP)", 8.8, 13.2, 8.8,
	  "as FC6310 (DJI Phantom 4 Pro V2.0 specs)" },
	{ "FC6310R", "Phantom 4 RTK (1\" CMOS, 20 MP)", 8.8, 13.2, 8.8,
	  "DJI Phantom 4 RTK specs: 1\" CMOS, 8.8 mm / 24 mm" },
	{ "FC330", "Phantom 4 (1/2.3\" CMOS, 12 MP)", 3.61, 6.17, 4.55,
	  "DJI Phantom 4 specs: 1/2.3\" CMOS, 20 mm equivalent; EXIF FocalLength 3.61 mm" },
	{ "FC220", "Mavic Pro (1/2.3\" CMOS, 12 MP)", 4.73, 6.17, 4.55,
	  "DJI Mavic Pro specs: 1/2.3\" CMOS, 26 mm equivalent; EXIF FocalLength 4.73 mm" },
	{ "L1D-20c", "Mavic 2 Pro Hasselblad (1\" CMOS, 20 MP)", 10.26, 13.2, 8.8,
	  "DJI Mavic 2 Pro specs: 1\" CMOS, 28 mm equivalent; EXIF FocalLength 10.26 mm" },
	{ "FC3170", "Mavic Air 2 (1/2\" CMOS, 48 MP)", 4.5, 6.4, 4.8,
	  "DJI Mavic Air 2 specs: 1/2\" CMOS, 24 mm equivalent; EXIF FocalLength 4.5 mm" },
	{ "FC3582", "Mini 3 Pro (1/1.3\" CMOS, 48 MP)", 6.72, 9.69, 7.27,
	  "DJI Mini 3 Pro specs: 1/1.3\" CMOS, 24 mm equivalent; EXIF FocalLength 6.72 mm; 4:3 area from the crop factor 24/6.72" },
	{ "ZH20T", "Zenmuse H20T thermal camera (640 x 512, 12 um)", 13.5, 7.68, 6.144,
	  "DJI Zenmuse H20T specs: radiometric thermal 640 x 512, pixel pitch 12 um, focal length 13.5 mm" },
	{ "M3T", "Mavic 3 Thermal, thermal camera (640 x 512, 12 um)", 9.1, 7.68, 6.144,
	  "DJI Mavic 3 Thermal specs: thermal 640 x 512, pixel pitch 12 um, 40 mm equivalent; EXIF FocalLength 9.1 mm" },
};

size_t dv_xcamera_count(void)
{
	return sizeof(cameras) / sizeof(cameras[0]);
}

const dv_xcamera *dv_xcamera_at(size_t i)
{
	return i < dv_xcamera_count() ? &cameras[i] : NULL;
}

const dv_xcamera *dv_xcamera_find(const char *model)
{
	if (!model) return NULL;
	for (size_t i = 0; i < dv_xcamera_count(); i++)
		if (!strcasecmp(cameras[i].model, model)) return &cameras[i];
	return NULL;
}
