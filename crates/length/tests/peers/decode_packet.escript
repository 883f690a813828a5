#!/usr/bin/env escript
%% Decodes byte streams with erlang:decode_packet/3, for the differential test
%% crates/length/tests/peer_decode_packet.rs.
%%
%% Usage: escript decode_packet.escript CASES_FILE
%% Each line of CASES_FILE is one case: `Type N Hex`, where Type is a
%% decode_packet type (asn1, cdr, sunrm, fcgi, tpkt, raw), N the packet_size
%% (0: the option is left out) and Hex the whole stream in hexadecimal.
%% decode_packet is called on the stream, then on the rest it leaves, until
%% it answers `more` or `error`. One output line per case, in order:
%% the verdict (`more` or `error`), then ` Hex` for each packet returned.
main([Path]) ->
    {ok, Data} = file:read_file(Path),
    Cases = binary:split(Data, <<"\n">>, [global, trim_all]),
    io:put_chars([decode_case(Case) || Case <- Cases]),
    io:put_chars("DONE\n");
main(_) ->
    io:format(standard_error, "usage: decode_packet.escript CASES_FILE~n", []),
    halt(2).

decode_case(Line) ->
    [TypeName, SizeText, Hex] = binary:split(Line, <<" ">>, [global]),
    Type = binary_to_atom(TypeName, latin1),
    Options = case binary_to_integer(SizeText) of
                  0 -> [];
                  Size -> [{packet_size, Size}]
              end,
    {Packets, Verdict} = decode_all(Type, binary:decode_hex(Hex), Options, []),
    [Verdict, [[$\s, binary:encode_hex(Packet)] || Packet <- Packets], $\n].

decode_all(Type, Stream, Options, Packets) ->
    case erlang:decode_packet(Type, Stream, Options) of
        {ok, Packet, Rest} -> decode_all(Type, Rest, Options, [Packet | Packets]);
        {more, _} -> {lists:reverse(Packets), <<"more">>};
        {error, _} -> {lists:reverse(Packets), <<"error">>}
    end.
