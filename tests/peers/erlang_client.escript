#!/usr/bin/env escript
%% A gen_tcp {packet,N} client for crates/{blocking,tokio}/tests/peer_erlang.rs
%% (through wirestate_core::testing::peer::erlang_client): connects to our echo
%% server and checks that every frame comes back byte for byte.
%%
%% Usage: escript erlang_client.escript N Port Size...
%%
%% Sends one frame per Size (byte I of a frame is I rem 251), waits for its
%% echo and prints "ECHOED <size>" when it is identical. Then it sends the
%% frames of at most 64 KiB again back to back before reading any echo (larger
%% ones could fill both socket buffers), prints "PIPELINED <count>", closes and
%% prints "DONE". Any difference or socket error prints
%% "FAILED ..." and exits with status 1; every wait is bounded (10 s).
-mode(compile).

main([N, Port | Sizes]) ->
    Options = [binary, {packet, list_to_integer(N)}, {active, false}],
    {ok, Socket} = gen_tcp:connect({127, 0, 0, 1}, list_to_integer(Port),
                                   Options, 10000),
    Frames = [payload(list_to_integer(Size)) || Size <- Sizes],
    lists:foreach(fun(Frame) ->
                          ok = gen_tcp:send(Socket, Frame),
                          expect(Socket, Frame),
                          io:format("ECHOED ~b~n", [byte_size(Frame)])
                  end, Frames),
    Small = [Frame || Frame <- Frames, byte_size(Frame) =< 65536],
    lists:foreach(fun(Frame) -> ok = gen_tcp:send(Socket, Frame) end, Small),
    lists:foreach(fun(Frame) -> expect(Socket, Frame) end, Small),
    io:format("PIPELINED ~b~n", [length(Small)]),
    ok = gen_tcp:close(Socket),
    io:format("DONE~n").

expect(Socket, Frame) ->
    case gen_tcp:recv(Socket, 0, 10000) of
        {ok, Frame} ->
            ok;
        {ok, Other} ->
            io:format("FAILED expected ~b bytes, got ~b different bytes~n",
                      [byte_size(Frame), byte_size(Other)]),
            halt(1);
        {error, Reason} ->
            io:format("FAILED ~p~n", [Reason]),
            halt(1)
    end.

payload(Size) ->
    << <<(I rem 251)>> || I <- lists:seq(0, Size - 1) >>.
