/* proto_stage.c -- stage marker. */
int wd_proto_stage_marker;
