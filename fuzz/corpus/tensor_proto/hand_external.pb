Btj
locationdata.binj
offset0j
length16p